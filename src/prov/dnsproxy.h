/* The CE's DNS proxy: a thread that answers DNS on the CE's LAN addresses
 * (UDP and TCP) by relaying each query over IPv6 to a forwarder, so that
 * name resolution of the LAN never spends a port of a shared IPv4
 * address. A UDP query goes out over UDP from a socket of its own (a fresh
 * source port, connected to the forwarder), a TCP query over a TCP
 * connection of its own; the message table is dnsfwd.h. Bounded: at most
 * max_queries outstanding and max_tcp_clients connections, each holding
 * at most one query being read and S46_DNSP_TCP_OUT bytes of answers;
 * everything refused is counted (S46_DNSP_COUNTERS), nothing is fatal. */
#ifndef S46_PROV_DNSPROXY_H
#define S46_PROV_DNSPROXY_H
#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define S46_DNSP_COUNTERS(X) \
    X(queries_udp, "queries received from LAN hosts over UDP") \
    X(queries_tcp, "queries received from LAN hosts over TCP") \
    X(answers_udp, "forwarders' answers relayed to LAN hosts over UDP") \
    X(answers_tcp, "forwarders' answers relayed to LAN hosts over TCP") \
    X(forwarded, "queries sent to a forwarder (first tries and retries)") \
    X(retries, "queries sent again, to the next forwarder, after a try timed out") \
    X(servfail_timeout, "queries answered SERVFAIL: no forwarder answered within the tries") \
    X(servfail_no_forwarder, "queries answered SERVFAIL: no IPv6 forwarder is configured") \
    X(drop_query_malformed, "LAN messages that are not one DNS query (short, an answer, not opcode QUERY, QDCOUNT not 1, a bad question, over 4096 bytes)") \
    X(drop_busy, "LAN queries refused because max_queries were outstanding (UDP dropped, TCP answered SERVFAIL)") \
    X(drop_answer_malformed, "forwarder messages that are not a DNS answer") \
    X(drop_answer_unmatched, "forwarder answers whose ID or question is not the query's (late, spoofed or wrong)") \
    X(drop_upstream_error, "tries that failed at the socket: no socket, connection refused or reset, send failed (the query waits for its timeout)") \
    X(tcp_accepted, "TCP connections from LAN hosts accepted") \
    X(drop_tcp_clients, "TCP connections refused: max_tcp_clients were open") \
    X(drop_tcp_length, "TCP connections closed: a length prefix below 12 or above 4096, or a malformed query") \
    X(drop_tcp_output, "TCP connections closed: the host did not read its answers (more than 128 KiB waiting)") \
    X(tcp_idle_closed, "TCP connections closed after tcp_idle seconds with nothing to do") \
    X(drop_send_error, "answers to LAN hosts that could not be sent")

enum s46_dnsp_counter {
#define S46_DNSP_ENUM(n, d) S46_DNSP_##n,
    S46_DNSP_COUNTERS(S46_DNSP_ENUM)
#undef S46_DNSP_ENUM
    S46_DNSP_NCOUNTERS
};

#define S46_DNSP_MAX_LISTEN 8
#define S46_DNSP_MAX_SERVERS 8
#define S46_DNSP_TCP_OUT (128 * 1024)

typedef struct s46_dnsp_conf {
    struct sockaddr_storage listen[S46_DNSP_MAX_LISTEN]; /* IPv4 or IPv6, with port */
    unsigned nlisten;
    struct sockaddr_in6 servers[S46_DNSP_MAX_SERVERS];   /* IPv6 forwarders, with port */
    unsigned nservers;                                   /* 0: every query gets SERVFAIL */
    unsigned timeout_ms;       /* per try */
    unsigned tries;            /* per query */
    unsigned max_queries;      /* outstanding */
    unsigned max_tcp_clients;
    unsigned tcp_idle_ms;
} s46_dnsp_conf;

/* Defaults: no listen address, no server, 2000 ms, 3 tries, 256 queries,
 * 32 TCP clients, 10 s idle. */
void s46_dnsp_conf_default(s46_dnsp_conf *c);
/* "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:5353" into
 * out with port defport when none is given. 0 or -1 with err. */
int s46_dnsp_parse_addr(const char *s, uint16_t defport, struct sockaddr_storage *out, char *err,
                        size_t errlen);
/* Appends the IPv6 servers of a c-ares server list ("[2001:db8::53]:53,
 * 2001:db8::54", IPv4 entries skipped) to c->servers: how many were
 * added, or -1 with err on a malformed entry. */
int s46_dnsp_add_servers(s46_dnsp_conf *c, const char *list, char *err, size_t errlen);
/* Appends the IPv6 nameservers of a resolv.conf file: how many (0 when
 * the file cannot be read). */
int s46_dnsp_add_resolv_conf(s46_dnsp_conf *c, const char *path);

typedef struct s46_dnsp s46_dnsp;
/* Binds every listen address (UDP and TCP; IP_FREEBIND, so the LAN
 * address may come later) and starts the thread. NULL with err. */
s46_dnsp *s46_dnsp_start(const s46_dnsp_conf *c, char *err, size_t errlen);
/* {"listen": [...], "forwarders": [...], "outstanding": N, "tcp_clients":
 * N, "counters": {...}} (any thread). */
json_t *s46_dnsp_show(s46_dnsp *p);
/* Stops the thread, closes everything, frees. */
void s46_dnsp_stop(s46_dnsp *p);
#endif
