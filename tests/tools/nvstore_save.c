/* Saves a small document with the CE's store (prov/nvstore.h) to the path
 * given, so that tests can watch its system calls from outside (strace):
 * tests/integration/ce_store_durability.sh. Exit status 0 when saved. */
#include <stdio.h>

#include "prov/nvstore.h"

int main(int argc, char **argv)
{
    char err[300];
    if (argc != 2) {
        fprintf(stderr, "usage: nvstore_save PATH\n");
        return 2;
    }
    json_t *doc = json_pack("{s:i,s:s}", "format", 1, "prefix", "2001:db8::/56");
    int rc = doc && s46_nvstore_save(argv[1], doc, err, sizeof err) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "nvstore_save: %s\n", doc ? err : "out of memory");
    json_decref(doc);
    return rc;
}
