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

s46_port *s46_port_open(const s46_port_spec *spec, unsigned queue, char *note, size_t notelen,
                        char *err, size_t errlen)
{
    if (note && notelen)
        *note = 0;
    char why[400] = "";
    s46_port *p;
    switch (spec->kind) {
    case S46_PORT_XDP:
        p = s46_port_open_xdp(spec, queue, why, sizeof why);
        if (p)
            s46_seterr(note, notelen, "%s", why);
        else
            s46_seterr(err, errlen, "%s", why);
        return p;
    case S46_PORT_AUTO:
        if (s46_if_is_veth(spec->ifname)) {
            /* the local senders of a veth pair send TCP/UDP super-packets,
             * which AF_PACKET takes whole and AF_XDP cannot (a frame must
             * fit a UMEM frame: the peers would need TSO and GSO off) */
            p = s46_port_open_afpacket(spec, queue, why, sizeof why);
            if (p)
                s46_seterr(note, notelen,
                           "%s is a veth: AF_XDP takes no super-packets from its peer: using "
                           "afpacket%s%s",
                           spec->ifname, *why ? "; " : "", why);
            else
                s46_seterr(err, errlen, "%s", why);
            return p;
        }
        p = s46_port_open_xdp(spec, queue, why, sizeof why);
        if (p) {
            s46_seterr(note, notelen, "%s", why);
            return p;
        }
        char why2[200];
        p = s46_port_open_afpacket(spec, queue, why2, sizeof why2);
        if (p)
            s46_seterr(note, notelen, "%s: using afpacket%s%s", why, *why2 ? "; " : "", why2);
        else
            s46_seterr(err, errlen, "%s", why2);
        return p;
    case S46_PORT_AFPACKET:
        p = s46_port_open_afpacket(spec, queue, why, sizeof why);
        if (p)
            s46_seterr(note, notelen, "%s", why);
        else
            s46_seterr(err, errlen, "%s", why);
        return p;
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
