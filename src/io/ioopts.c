#include "io/ioopts.h"

#include "lib/err.h"
#include "lib/num.h"

void s46_io_opts_init(s46_io_opts *o, const char *tun, unsigned long workers)
{
    *o = (s46_io_opts){.tun = tun, .mtu = 1500, .workers = workers, .io = -1};
}

int s46_io_opts_take(s46_io_opts *o, int c, const char *arg, char *err, size_t errlen)
{
    switch (c) {
    case S46_OPT_TUN: o->tun = arg; return 1;
    case S46_OPT_MTU:
        if (!s46_uint_parse(arg, 1280, 9000, &o->mtu)) {
            s46_seterr(err, errlen, "--mtu must be 1280..9000");
            return -1;
        }
        return 1;
    case S46_OPT_WORKERS:
        if (!s46_uint_parse(arg, 1, S46_WORKERS_MAX, &o->workers)) {
            s46_seterr(err, errlen, "--workers must be 1..%d", S46_WORKERS_MAX);
            return -1;
        }
        return 1;
    case S46_OPT_IO:
        o->io = s46_port_kind_parse(arg);
        if (o->io < 0 || o->io == S46_PORT_PCAP || o->io == S46_PORT_MEM) {
            s46_seterr(err, errlen, "--io must be auto, xdp, afpacket or tun");
            return -1;
        }
        return 1;
    case S46_OPT_PIN: o->pin = true; return 1;
    case S46_OPT_IF4: o->ifs[0] = arg; return 1;
    case S46_OPT_IF6: o->ifs[1] = arg; return 1;
    case S46_OPT_MAC4: o->macs[0] = arg; return 1;
    case S46_OPT_MAC6: o->macs[1] = arg; return 1;
    case S46_OPT_VLAN4:
    case S46_OPT_VLAN6:
        if (!s46_uint_parse(arg, 1, 4094, &o->vlans[c == S46_OPT_VLAN6])) {
            s46_seterr(err, errlen, "a VLAN must be 1..4094");
            return -1;
        }
        return 1;
    default: return 0;
    }
}

int s46_io_opts_check(const s46_io_opts *o, char *err, size_t errlen)
{
    bool eth = s46_io_opts_ethernet(o);
    if (!o->ifs[0] != !o->ifs[1]) {
        s46_seterr(err, errlen, "give both interfaces or none");
        return -1;
    }
    if ((eth && o->io == S46_PORT_TUN) || (!eth && o->io >= 0 && o->io != S46_PORT_TUN)) {
        s46_seterr(err, errlen, "--io %s does not fit %s mode", s46_port_kind_name(o->io),
                   eth ? "Ethernet" : "TUN");
        return -1;
    }
    if (!eth && (o->vlans[0] || o->vlans[1])) {
        s46_seterr(err, errlen, "VLANs need Ethernet ports (the two interfaces)");
        return -1;
    }
    return 0;
}

void s46_io_opts_apply(const s46_io_opts *o, s46_loop_conf *lc)
{
    bool eth = s46_io_opts_ethernet(o);
    lc->workers = (unsigned)o->workers;
    lc->pin = o->pin;
    for (int s = 0; s < 2; s++) {
        lc->side[s].kind = eth ? (o->io < 0 ? S46_PORT_AUTO : (s46_port_kind)o->io) : S46_PORT_TUN;
        lc->side[s].ifname = eth ? o->ifs[s] : o->tun;
        lc->side[s].peer_mac = o->macs[s];
        lc->side[s].vlan = eth ? (unsigned)o->vlans[s] : 0;
        lc->side[s].mtu = (unsigned)o->mtu;
        lc->side[s].offloads = true;
    }
}
