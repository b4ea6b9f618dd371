#!/usr/bin/env bash
# The lab with the translation mechanisms on its CEs: the second CE runs
# MAP-T (S46_LAB_CE2=map_t) through the MAP-T BR, the third 464XLAT
# (S46_LAB_CE3=464xlat) through the NAT64 with DNS64, both provisioned by
# s46-provd; once with the profile's nat64prefix, once without it (the CE
# finds the prefix by RFC 7050). Each `s46 lab run` leaves no namespace.
# s46-test-timeout: 120
set -u
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run() { # name, then variables for the lab
    local name=$1; shift
    out=$(env "$@" S46_LAB_PREFIX=s46x$$ S46_LAB_RUN="$dir/$name" S46_LAB_CE2=map_t S46_LAB_CE3=464xlat \
        build/bin/s46 lab run 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -q 'lab check: 19 ok, 0 failed' <<<"$out"; then echo "PASS lab_xlat_${name}_run"
    else echo "FAIL lab_xlat_${name}_run: exit $rc"; grep -E 'FAILED|lab check|timed out' <<<"$out" | head; tail -n 20 <<<"$out"; fi
    if ip netns list | grep -q "^s46x$$-"; then
        echo "FAIL lab_xlat_${name}_teardown: namespaces left: $(ip netns list | grep "^s46x$$-" | tr '\n' ' ')"
        for ns in $(ip netns list | awk '{print $1}' | grep "^s46x$$-"); do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$ns"
        done
    else echo "PASS lab_xlat_${name}_teardown"; fi
}
ok() { # name, check line
    if grep -qF -- "-> ok: $2" <<<"$out"; then echo "PASS $1"; else echo "FAIL $1: no '$2'"; fi
}

run prefix
# MAP-T: the second CE's address from the MAP-T rule, HTTP/ping/traceroute
# through the MAP-T BR (hop 5: its IPv4 side), the BR's counters both ways
grep -q '^ipv4  *"203.0.113.209"' <<<"$out" && grep -q '^dmr  *"2001:db8:fff4::/64"' <<<"$out" &&
    echo "PASS lab_xlat_map_t_provisioned" || echo "FAIL lab_xlat_map_t_provisioned: $(grep -A6 'MAP-T CE and BR' <<<"$out")"
ok lab_xlat_map_t_http "HTTP from LAN 2 through MAP-T (CE -> MAP-T BR)"
ok lab_xlat_map_t_ping "ping from LAN 2 through MAP-T (CE -> MAP-T BR)"
if grep -q '^ 5  203.0.113.153 ' <<<"$out"; then ok lab_xlat_map_t_traceroute "traceroute from LAN 2 reaches the server"
else echo "FAIL lab_xlat_map_t_traceroute: $(grep -A8 'traceroute to' <<<"$out" | sed -n 10,18p)"; fi
ok lab_xlat_map_t_br_counters "the MAP-T BR translated the MAP-T CE's traffic both ways"
# 464XLAT: the CLAT with the profile's prefix, DNS64, the NAT64 (hop 5)
grep -q 'CLAT running: .*NAT64 prefix 2001:db8:46::/96 (answer)' <<<"$out" &&
    echo "PASS lab_xlat_464xlat_prefix_from_the_answer" || echo "FAIL lab_xlat_464xlat_prefix_from_the_answer: $(grep -A6 '464XLAT: the CLAT' <<<"$out")"
ok lab_xlat_464xlat_http "HTTP from LAN 3 through 464XLAT (CLAT -> NAT64)"
ok lab_xlat_464xlat_ping "ping from LAN 3 through 464XLAT (CLAT -> NAT64)"
if grep -q '^ 5  203.0.113.233 ' <<<"$out"; then ok lab_xlat_464xlat_traceroute "traceroute from LAN 3 reaches the server"
else echo "FAIL lab_xlat_464xlat_traceroute: $(grep -A8 'LAN 3 (464XLAT' <<<"$out" | tail -8)"; fi
ok lab_xlat_dns64 "DNS64 synthesizes www.inet.example's AAAA in 2001:db8:46::/96"
ok lab_xlat_464xlat_http_by_name "HTTP by name (www.inet.example) from LAN 3 through 464XLAT"

run discover S46_LAB_NAT64PREFIX=discover
grep -q 'CLAT running: .*NAT64 prefix 2001:db8:46::/96 (rfc7050)' <<<"$out" &&
    echo "PASS lab_xlat_464xlat_rfc7050_discovery" || echo "FAIL lab_xlat_464xlat_rfc7050_discovery: $(grep -A8 '464XLAT: the CLAT' <<<"$out")"
ok lab_xlat_rfc7050_dns64 "DNS64 answers ipv4only.arpa with the NAT64 prefix (RFC 7050)"
ok lab_xlat_discover_http "HTTP from LAN 3 through 464XLAT (CLAT -> NAT64)"
