LDLIBS_s46-br := -ljansson
