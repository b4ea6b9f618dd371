LDLIBS_s46-provd := -ljansson -lmicrohttpd -lgnutls -lsodium -lsqlite3 -lpq
