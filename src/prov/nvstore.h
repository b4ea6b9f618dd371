/* The CE's non-volatile store of its last valid HB46PP configuration
 * (docs/hb46pp.md, C16-C17): one JSON document in one file.
 * Written atomically (temporary file in the same directory, fsync, rename,
 * fsync of the directory), so after a power loss the file holds the old or
 * the new document, never a mix. The file starts with a header line
 * "s46-nvstore 1 <crc32 hex> <length>\n" covering the JSON that follows;
 * a file that fails the check is reported as corrupt and never used. */
#ifndef S46_PROV_NVSTORE_H
#define S46_PROV_NVSTORE_H
#include <jansson.h>

#define S46_NVSTORE_MAX (4u << 20) /* largest document accepted */

/* 0, or -1 with err (the old file, if any, is left as it was). */
int s46_nvstore_save(const char *path, const json_t *doc, char *err, size_t errlen);
/* A new reference, or NULL with err; *missing is set when there is no file
 * (as opposed to a corrupt or unreadable one). */
json_t *s46_nvstore_load(const char *path, int *missing, char *err, size_t errlen);
/* Removes the file (and a leftover temporary file); 0 also when absent. */
int s46_nvstore_erase(const char *path, char *err, size_t errlen);
#endif
