/* The AFTR's settings file into s46_aftr_conf (dp/aftr.h) and the
 * port-block log's settings (lib/blocklog.h). The document is {"aftr":
 * {...}} (or that object itself):
 *   "ipv6" (required): the AFTR address; "ipv4": its IPv4 address;
 *   "pool" (required): IPv4 prefixes or addresses; "excluded": the same;
 *   "port_min" (1..65535, default 1024), "block_size" (64..32768, a
 *   multiple of 64, default 512), "max_blocks_per_subscriber" (1..1024,
 *   default 4), "block_idle" (seconds, default 120);
 *   "filtering": "eif" (default) or "adf"; "hairpin" (default true);
 *   "limits": {"mappings", "sessions", "new_per_second"} per subscriber
 *   (0: none); "timeouts": {"udp" (>= 120), "tcp_established",
 *   "tcp_transitory", "icmp"} in seconds; "capacity": {"subscribers",
 *   "blocks", "mappings", "sessions"};
 *   "log": {"path", "max_megabytes", "keep", "syslog": "unix:PATH" or
 *   "udp:HOST:PORT"} (no "log": no port-block log);
 *   "icmp_rate", "seed" (a fixed seed for the port choice: replays),
 *   "ipv4_mtu" (68..9000, default 1500: reassembled inner datagrams leave
 *   as fragments beyond it), and
 *   the tunnel settings of tunnel_conf.h.
 * 0, or -1 with err naming the member. */
#ifndef S46_CONF_AFTR_CONF_H
#define S46_CONF_AFTR_CONF_H
#include <jansson.h>
#include <stdbool.h>

#include "dp/aftr.h"
#include "lib/blocklog.h"

typedef struct s46_aftr_settings {
    s46_aftr_conf c;            /* c.cgn.pool/excluded point into the arrays below;
                                   c.log is left NULL: the caller opens the log */
    s46_pfx4 *pool, *excluded;
    bool has_log;
    s46_blocklog_conf log;      /* its strings owned here */
} s46_aftr_settings;

/* Whether doc is an AFTR settings document (has an "aftr" object). */
bool s46_aftr_settings_is(const json_t *doc);
int s46_aftr_settings_from_json(const json_t *doc, s46_aftr_settings *s, char *err,
                                size_t errlen);
void s46_aftr_settings_free(s46_aftr_settings *s);
#endif
