#!/usr/bin/env bash
# The README's main job: `s46 lab run` (up, check, down) in namespaces of
# its own, then nothing of it may be left behind. The first CE runs MAP-E
# through the BR, the second DS-Lite through the AFTR, both provisioned by
# HB46PP; the check traces a connection of each back to its CE.
set -u
cd "$(dirname "$0")/../.."
export S46_LAB_PREFIX=s46t$$ S46_LAB_RUN=$(mktemp -d)/run
out=$(build/bin/s46 lab run 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q 'lab check: 18 ok, 0 failed' <<<"$out"; then
    echo "PASS lab_run"
else
    echo "FAIL lab_run: exit $rc"; tail -n 40 <<<"$out"
fi
if ip netns list | grep -q "^$S46_LAB_PREFIX-"; then
    echo "FAIL lab_teardown: namespaces left: $(ip netns list | grep "^$S46_LAB_PREFIX-" | tr '\n' ' ')"
    for ns in $(ip netns list | awk '{print $1}' | grep "^$S46_LAB_PREFIX-"); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$ns"
    done
else
    echo "PASS lab_teardown"
fi
# the CEs started with nothing and provisioned themselves (HB46PP)
grep -q 'discovered https://prov.isp.example/config (t=b) through the TXT record of 4over6.info' <<<"$out" &&
    grep -q 'MAP-E running: IPv4 192.0.2.18/32 PSID 52/8' <<<"$out" && echo "PASS lab_ce_provisioned_itself" ||
    echo "FAIL lab_ce_provisioned_itself: $(grep -A8 'provisioning:' <<<"$out" | head -10)"
grep -q '^ 2  198.51.100.1 ' <<<"$out" && echo "PASS lab_traceroute_shows_br" || echo "FAIL lab_traceroute_shows_br: $(grep -A4 traceroute <<<"$out" | head -6)"
# the second CE provisioned itself with DS-Lite: through the AFTR, whose
# port-block log names its B4 for the address and port the server saw
grep -q '^ 2  203.0.113.1 ' <<<"$out" && echo "PASS lab_traceroute_shows_aftr" ||
    echo "FAIL lab_traceroute_shows_aftr: $(grep -A4 'traceroute to' <<<"$out" | tail -5)"
grep -q '^ *dslite   subscriber 2001:db8:12:d100::b4 (B4)' <<<"$out" && echo "PASS lab_trace_names_b4" ||
    echo "FAIL lab_trace_names_b4: $(grep -A6 'traceback' <<<"$out" | head -12)"
# the third provisioned itself with lw4o6 (its binding from s46-provd) and
# reaches the server through the lwAFTR, hop 2
grep -q '^b4  *"2001:db8:12:e500:0:cb00:71c8:1"' <<<"$out" && grep -q '^ 2  203.0.113.145 ' <<<"$out" &&
    echo "PASS lab_ce3_lw4o6_through_lwaftr" ||
    echo "FAIL lab_ce3_lw4o6_through_lwaftr: $(grep -A8 'LAN 3' <<<"$out" | head -12)"
# SIIT-DC: the IPv4 Internet host reaches the IPv6-only server by its EAM
# address; the server's log names the host's RFC 6052 address
grep -q '^-> ok: HTTP from the IPv4 Internet to the IPv6-only server through SIIT-DC' <<<"$out" &&
    grep -q '^-> ok: ping from the IPv4 Internet to the IPv6-only server through SIIT-DC' <<<"$out" &&
    grep -q '^  2001:db8:6:64::cb00:71a6 .*"GET / ' <<<"$out" && echo "PASS lab_siit_dc_to_ipv6_only_server" ||
    echo "FAIL lab_siit_dc_to_ipv6_only_server: $(grep -A14 'SIIT-DC:' <<<"$out" | head -16)"
rm -rf "$(dirname "$S46_LAB_RUN")"
