LDLIBS_s46-ce := -ljansson -lcurl -lcares -lmnl -lz -lpcap -lpthread
