LDLIBS_s46-ce := -ljansson
