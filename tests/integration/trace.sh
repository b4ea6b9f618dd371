#!/usr/bin/env bash
# s46 trace through the real (sanitized) binary: DS-Lite from a port-block
# log and its rotated file (restart records end every block), MAP-E from a
# rules file and from the provisioning server's profile versions (a rule
# change: the old time gets the old rule), the join with the provisioning
# log, bad input (exit 2) and nobody (exit 1).
set -u
S46=${S46_ASAN_BIN:-build/asan/bin}/s46
PROVD=${S46_ASAN_BIN:-build/asan/bin}/s46-provd
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

run() {
    local name=$1 want=$2; shift 2
    "$S46" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit $rc, expected $want; stdout: $(head -c 300 "$tmp/out") stderr: $(head -c 300 "$tmp/err")"
        return 1
    fi
    return 0
}
jcheck() {
    local name=$1 expr=$2
    if $PY -c "import json,sys; j=json.load(open('$tmp/out')); sys.exit(0 if ($expr) else 1)" 2>"$tmp/pyerr"; then
        pass "$name"
    else
        fail "$name" "JSON check failed: $expr; got $(head -c 600 "$tmp/out")"
    fi
}

# --- DS-Lite: a rotated file, then the current one --------------------------
# 2024-05-01T12:00:00Z is 1714564800.
cat >"$tmp/aftr.log.1" <<'L'
2024-05-01T11:00:00.000Z start - - -
2024-05-01T11:59:00.500Z alloc 2001:db8:12:d100::b4 198.51.100.7 1536-2047
2024-05-01T11:59:01.000Z alloc 2001:db8:12:3400::b4 198.51.100.7 2048-2559
2024-05-01T12:30:00.000Z release 2001:db8:12:d100::b4 198.51.100.7 1536-2047
L
cat >"$tmp/aftr.log" <<'L'
2024-05-01T12:40:00.000Z alloc 2001:db8:99::b4 198.51.100.7 1536-2047
2024-05-01T13:00:00.000Z start - - -
2024-05-01T13:05:00.000Z alloc 2001:db8:77::b4 198.51.100.7 1536-20
L
# (the last line is torn: skipped)

if run trace_dslite_human 0 trace 198.51.100.7 1600 2024-05-01T12:00:00Z --block-log "$tmp/aftr.log"; then
    if grep -q '^dslite   subscriber 2001:db8:12:d100::b4 (B4)$' "$tmp/out" &&
       grep -q 'block 1536-2047 held from 2024-05-01T11:59:00.500Z to 2024-05-01T12:30:00.000Z' "$tmp/out" &&
       [ "$(grep -c '^dslite' "$tmp/out")" = 1 ]; then
        pass trace_dslite_human
    else fail trace_dslite_human "$(cat "$tmp/out")"; fi
fi
if run trace_dslite_json 0 trace 198.51.100.7 1600 1714564800 --block-log "$tmp/aftr.log" --json; then
    jcheck trace_dslite_json "len(j['holders'])==1 and j['holders'][0]['subscriber']=='2001:db8:12:d100::b4' and j['holders'][0]['block_first']==1536 and j['time_iso']=='2024-05-01T12:00:00Z'"
fi
# an offset time: 21:00+09:00 is 12:00Z
if run trace_dslite_offset 0 trace 198.51.100.7 2047 2024-05-01T21:00:00+09:00 --block-log "$tmp/aftr.log" --json; then
    jcheck trace_dslite_offset "j['holders'][0]['subscriber']=='2001:db8:12:d100::b4'"
fi
# the block changed hands at 12:40 (in the current file)
if run trace_dslite_next_holder 0 trace 198.51.100.7 1536 2024-05-01T12:50:00Z --block-log "$tmp/aftr.log" --json; then
    jcheck trace_dslite_next_holder "[h['subscriber'] for h in j['holders']]==['2001:db8:99::b4'] and j['holders'][0]['held_to']=='2024-05-01T13:00:00.000Z'"
fi
# between release and the next allocation: nobody
run trace_dslite_gap_nobody 1 trace 198.51.100.7 1600 2024-05-01T12:35:00Z --block-log "$tmp/aftr.log" && pass trace_dslite_gap_nobody
# the restart at 13:00 ended every block: nobody at 13:02, even for the block never released
run trace_dslite_after_restart 1 trace 198.51.100.7 2100 2024-05-01T13:02:00Z --block-log "$tmp/aftr.log" && pass trace_dslite_after_restart
# before the restart, the other block's holder
if run trace_dslite_other_block 0 trace 198.51.100.7 2100 2024-05-01T12:59:00Z --block-log "$tmp/aftr.log" --json; then
    jcheck trace_dslite_other_block "j['holders'][0]['subscriber']=='2001:db8:12:3400::b4'"
fi
# another address: nobody
run trace_dslite_other_address 1 trace 198.51.100.8 1600 2024-05-01T12:00:00Z --block-log "$tmp/aftr.log" && pass trace_dslite_other_address
if grep -q '^nobody' "$tmp/out"; then pass trace_nobody_says_so; else fail trace_nobody_says_so "$(cat "$tmp/out")"; fi

# --- MAP-E from a rules file (the lab's rule, RFC 7597 Appendix A) -----------
cat >"$tmp/rules.json" <<'J'
{"version": 1, "br": "2001:db8:ffff::1", "rules": [
  {"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}
J
if run trace_mape_rules 0 trace 192.0.2.18 1232 1714564800 --rules "$tmp/rules.json" --json; then
    jcheck trace_mape_rules "j['holders'][0]['mechanism']=='map_e' and j['holders'][0]['eu_prefix']=='2001:db8:12:3400::/56' and j['holders'][0]['map_address']=='2001:db8:12:3400:0:c000:212:34' and j['holders'][0]['psid']==0x34"
fi
if run trace_mape_human 0 trace 192.0.2.18 1232 1714564800 --rules "$tmp/rules.json"; then
    if grep -q '^map_e    prefix 2001:db8:12:3400::/56 map address 2001:db8:12:3400:0:c000:212:34 psid 0x34/8$' "$tmp/out"; then
        pass trace_mape_human
    else fail trace_mape_human "$(cat "$tmp/out")"; fi
fi
# a port outside every port set (below the PSID offset's first range): nobody
run trace_mape_excluded_nobody 1 trace 192.0.2.18 80 1714564800 --rules "$tmp/rules.json" && pass trace_mape_excluded_nobody
run trace_mape_no_rule_nobody 1 trace 10.0.0.1 1232 1714564800 --rules "$tmp/rules.json" && pass trace_mape_no_rule_nobody

# --- MAP-E from the provisioning server's profile versions, joined with its log
DB="$tmp/prov.db"
cat >"$tmp/p1.json" <<'J'
{"enabler_name": "lab", "ttl": 3600, "order": ["map_e"],
 "map_e": {"version": 1, "br": "2001:db8:ffff::1", "rules": [
  {"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}}
J
# the new rule maps the same IPv4 prefix from another IPv6 prefix
cat >"$tmp/p2.json" <<'J'
{"enabler_name": "lab", "ttl": 3600, "order": ["map_e"],
 "map_e": {"version": 1, "br": "2001:db8:ffff::1", "rules": [
  {"ipv6": "2001:db8:100::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}}
J
"$PROVD" profile add 2001:db8::/32 "$tmp/p1.json" --db "$DB" >/dev/null 2>"$tmp/err" || fail trace_provd_setup "$(cat "$tmp/err")"
# the first version was in force from long ago (as if set last month)
sqlite3 "$DB" "UPDATE profile_versions SET valid_from = 1700000000"
"$PROVD" import 2001:db8::/32 "$tmp/p2.json" --db "$DB" >/dev/null 2>"$tmp/err" || fail trace_provd_setup "$(cat "$tmp/err")"
sqlite3 "$DB" "INSERT INTO provlog (t_ms, src, src_prefix, token, vendorid, product, version, capability, status, mechs, auth)
  VALUES (1714000000000, '2001:db8:12:3400::1', '2001:db8::/32', 'abcd1234abcd1234', 'acme', 'cpe', '1.0', 'map_e', 200, 'map_e', NULL),
         (1714600000000, '2001:db8:12:3400::1', '2001:db8::/32', NULL, 'acme', 'cpe', '1.1', 'map_e', 200, 'map_e', NULL),
         (1714000000000, '2001:db8:12:3500::1', '2001:db8::/32', NULL, 'other', 'x', '1', 'map_e', 200, 'map_e', NULL)"
if run trace_provd_old_rule 0 trace 192.0.2.18 1232 1714564800 --provd-db "$DB" --json; then
    jcheck trace_provd_old_rule "len(j['holders'])==1 and j['holders'][0]['eu_prefix']=='2001:db8:12:3400::/56' and j['holders'][0]['profile']=='2001:db8::/32' and j['holders'][0]['profile_valid_to'] is not None and [r['time'] for r in j['holders'][0]['provisioning']]==['2024-04-24T23:06:40.000Z'] and j['holders'][0]['provisioning'][0]['token']=='abcd1234abcd1234'"
fi
if run trace_provd_new_rule 0 trace 192.0.2.18 1232 "$(date +%s)" --provd-db "$DB" --json; then
    jcheck trace_provd_new_rule "j['holders'][0]['eu_prefix']=='2001:db8:112:3400::/56' and j['holders'][0]['profile_valid_to'] is None"
fi
run trace_provd_before_any_profile 1 trace 192.0.2.18 1232 1600000000 --provd-db "$DB" && pass trace_provd_before_any_profile
# DS-Lite joined with the provisioning log by the B4's /56
if run trace_dslite_provd_join 0 trace 198.51.100.7 2100 2024-05-01T12:59:00Z --block-log "$tmp/aftr.log" --provd-db "$DB" --json; then
    jcheck trace_dslite_provd_join "j['holders'][0]['mechanism']=='dslite' and [r['src'] for r in j['holders'][0]['provisioning']]==['2001:db8:12:3400::1']"
fi

# --- bad input: exit 2, one line on stderr ---------------------------------
bad() {
    local name=$1; shift
    if run "$name" 2 "$@"; then
        if [ "$(wc -l <"$tmp/err")" -ge 1 ] && [ ! -s "$tmp/out" ]; then pass "$name"
        else fail "$name" "stderr: $(cat "$tmp/err") stdout: $(cat "$tmp/out")"; fi
    fi
}
bad trace_bad_address trace 198.51.100.300 1600 1714564800 --block-log "$tmp/aftr.log"
bad trace_bad_port trace 198.51.100.7 65536 1714564800 --block-log "$tmp/aftr.log"
bad trace_bad_time trace 198.51.100.7 1600 yesterday --block-log "$tmp/aftr.log"
bad trace_bad_time_date trace 198.51.100.7 1600 2024-13-01T00:00:00Z --block-log "$tmp/aftr.log"
bad trace_no_source trace 198.51.100.7 1600 1714564800
bad trace_missing_log trace 198.51.100.7 1600 1714564800 --block-log "$tmp/none.log"
bad trace_missing_args trace 198.51.100.7 1600
bad trace_bad_rules trace 192.0.2.18 1232 1714564800 --rules "$tmp/aftr.log"
bad trace_missing_db trace 192.0.2.18 1232 1714564800 --provd-db "$tmp/none.db"
