/* The carrier-grade NAT's settings (lib/cgn.h) as a center mechanism's
 * config object holds them (the AFTR's, the NAT64's: conf/aftr_conf.h,
 * conf/nat64_conf.h), and the port-block log's (lib/blocklog.h):
 *   pool_key (required): IPv4 prefixes or addresses; "excluded": the same;
 *   "port_min" (1..65535, default 1024), "block_size" (64..32768, a
 *   multiple of 64, default 512), "max_blocks_per_subscriber" (1..1024,
 *   default 4), "block_idle" (seconds, default 120);
 *   "filtering": "eif" (default) or "adf";
 *   "limits": {"mappings", "sessions", "new_per_second"} per subscriber
 *   (0: none); "timeouts": {"udp" (>= 120), "tcp_established",
 *   "tcp_transitory", "icmp"} in seconds; "capacity": {"subscribers",
 *   "blocks", "mappings", "sessions"};
 *   "log": {"path", "max_megabytes", "keep", "syslog": "unix:PATH" or
 *   "udp:HOST:PORT"} (no "log": no port-block log);
 *   "seed" (a fixed seed for the port choice: replays).
 * 0, or -1 with err naming the member (s then holds nothing). */
#ifndef S46_CONF_CGN_CONF_H
#define S46_CONF_CGN_CONF_H
#include <jansson.h>
#include <stdbool.h>

#include "lib/blocklog.h"
#include "lib/cgn.h"

typedef struct s46_cgn_settings {
    s46_pfx4 *pool, *excluded;  /* the config's pool/excluded point here */
    bool has_log;
    s46_blocklog_conf log;      /* its strings owned here */
} s46_cgn_settings;

/* Fills g (defaults set by the caller) from the object o. */
int s46_cgn_settings_from_json(const json_t *o, const char *pool_key, s46_cgn_config *g,
                               s46_cgn_settings *s, char *err, size_t errlen);
void s46_cgn_settings_free(s46_cgn_settings *s);
#endif
