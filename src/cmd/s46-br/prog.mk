LDLIBS_s46-br := -ljansson -lpcap -lpthread
