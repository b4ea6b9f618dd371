#include "io/port.h"
#include "io/ifkind.h"

#include <jansson.h>
#include <stdio.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/err.h"

static const char *const kind_names[] = {"auto", "xdp", "afpacket", "tun", "pcap", "mem"};

int s46_port_kind_parse(const char *s)
{
    for (unsigned i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (s && !strcmp(s, kind_names[i]))
            return (int)i;
    return -1;
}

const char *s46_port_kind_name(s46_port_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

typedef s46_port *(*eth_open_fn)(const s46_port_spec *, unsigned, char *, size_t);

/* An Ethernet port's constructor, whose message is a note on success and
 * the error on failure: the note goes after prefix (and "; ") in note. */
static s46_port *open_eth(eth_open_fn open, const s46_port_spec *spec, unsigned queue,
                          const char *prefix, char *note, size_t notelen, char *err, size_t errlen)
{
    char why[400] = "";
    s46_port *p = open(spec, queue, why, sizeof why);
    if (!p)
        s46_seterr(err, errlen, "%s", why);
    else if (*prefix || *why)
        s46_seterr(note, notelen, "%s%s%s", prefix, *prefix && *why ? "; " : "", why);
    return p;
}

s46_port *s46_port_open(const s46_port_spec *spec, unsigned queue, char *note, size_t notelen,
                        char *err, size_t errlen)
{
    if (note && notelen)
        *note = 0;
    char why[400] = "", pre[480];
    s46_port *p;
    switch (spec->kind) {
    case S46_PORT_XDP:
        return open_eth(s46_port_open_xdp, spec, queue, "", note, notelen, err, errlen);
    case S46_PORT_AUTO:
        if (s46_if_is_veth(spec->ifname)) {
            /* the local senders of a veth pair send TCP/UDP super-packets,
             * which AF_PACKET takes whole and AF_XDP cannot (a frame must
             * fit a UMEM frame: the peers would need TSO and GSO off) */
            snprintf(pre, sizeof pre,
                     "%s is a veth: AF_XDP takes no super-packets from its peer: using afpacket",
                     spec->ifname);
            return open_eth(s46_port_open_afpacket, spec, queue, pre, note, notelen, err, errlen);
        }
        p = s46_port_open_xdp(spec, queue, why, sizeof why);
        if (p) {
            s46_seterr(note, notelen, "%s", why);
            return p;
        }
        snprintf(pre, sizeof pre, "%s: using afpacket", why);
        return open_eth(s46_port_open_afpacket, spec, queue, pre, note, notelen, err, errlen);
    case S46_PORT_AFPACKET:
        return open_eth(s46_port_open_afpacket, spec, queue, "", note, notelen, err, errlen);
    case S46_PORT_TUN: return s46_port_open_tun(spec, queue, err, errlen);
    case S46_PORT_PCAP: return s46_port_open_pcap(spec, queue, err, errlen);
    case S46_PORT_MEM: return s46_port_open_mem(spec, queue, err, errlen);
    default: break;
    }
    s46_seterr(err, errlen, "port kind %s cannot be opened here", s46_port_kind_name(spec->kind));
    return NULL;
}

void s46_port_stats_add(s46_port_stats *sum, const s46_port_stats *st)
{
#define S46_ADD(n, d) sum->n += st->n;
    S46_PORT_COUNTERS(S46_ADD)
#undef S46_ADD
}

json_t *s46_port_stats_json(const s46_port_stats *st)
{
    json_t *o = json_object();
#define S46_PUT(n, d) json_object_set_new(o, #n, json_integer((json_int_t)st->n));
    if (o) {
        S46_PORT_COUNTERS(S46_PUT)
    }
#undef S46_PUT
    return o;
}
