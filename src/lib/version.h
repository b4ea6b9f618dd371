/* The s46 version, reported by every program (and, with dots turned into
 * underscores, as the HB46PP `version` parameter). */
#ifndef S46_VERSION_H
#define S46_VERSION_H
#define S46_VERSION "0.1.0"
#endif
