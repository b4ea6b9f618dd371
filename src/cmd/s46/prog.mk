LDLIBS_s46 := -ljansson -lpcap -lpthread -lsqlite3 -lpq
