#!/usr/bin/env bash
# s46 calc through the real (sanitized) binary: output, JSON keys, exit codes,
# and a table of bad inputs that must give one line on stderr and exit 2.
set -u
S46=${S46_ASAN_BIN:-build/asan/bin}/s46
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# run NAME EXPECTED_RC ARGS... ; leaves stdout in $tmp/out, stderr in $tmp/err
run() {
    local name=$1 want=$2; shift 2
    "$S46" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit $rc, expected $want; stderr: $(head -c 300 "$tmp/err")"
        return 1
    fi
    return 0
}
# JSON check with python: expr evaluated with j = parsed stdout
jcheck() {
    local name=$1 expr=$2
    if $PY -c "import json,sys; j=json.load(open('$tmp/out')); sys.exit(0 if ($expr) else 1)" 2>"$tmp/pyerr"; then
        pass "$name"
    else
        fail "$name" "JSON check failed: $expr; got $(head -c 400 "$tmp/out")"
    fi
}

A1=2001:db8::/40,192.0.2.0/24,16,6 # the rule of docs/vectors.md A1
if run calc_human 0 calc --rule $A1 --prefix 2001:db8:12:3400::/56; then
    if grep -q '^ipv4 *192.0.2.18 ' "$tmp/out" && grep -q '^psid *52 (0x34), length 8, offset 6' "$tmp/out" &&
       grep -q '^ports *252 in 63 ranges of 4, every 1024: 1232-1235 2256-2259 3280-3283 ... 63696-63699 64720-64723$' "$tmp/out" &&
       grep -q '^map address *2001:db8:12:3400:0:c000:212:34 (rfc7597)$' "$tmp/out"; then
        pass calc_human
    else fail calc_human "$(cat "$tmp/out")"; fi
fi

if run calc_json 0 calc --rule $A1 --prefix 2001:db8:12:3400::/56 --json; then
    jcheck calc_json "j['ipv4']=='192.0.2.18' and j['ipv4_prefix_len']==32 and j['psid']==52 and j['psid_len']==8 and j['psid_offset']==6 and len(j['ports'])==63 and j['ports'][0]==[1232,1235] and j['ports'][-1]==[64720,64723] and j['port_count']==252 and j['ce_ipv6']=='2001:db8:12:3400:0:c000:212:34'"
fi

if run calc_json_draft03 0 calc --rule $A1 --prefix 2001:db8:12:3400::/56 --iid draft03 --json; then
    jcheck calc_json_draft03 "j['ce_ipv6']=='2001:db8:12:3400:c0:2:1200:3400'"
fi

# HB46PP response file: version 0 -> draft03 by default; --iid overrides
if run calc_rules_file 0 calc --rules examples/hb46pp-example.json --prefix 2001:db8:1:2345::/64 --json; then
    jcheck calc_rules_file "j['ipv4']=='203.0.113.52' and j['psid']==5 and j['port_count']==3840 and j['ports'][0]==[5376,5631] and j['ce_ipv6']=='2001:db8:1:2345:cb:71:3400:500'"
fi
if run calc_rules_file_iid 0 calc --rules examples/hb46pp-example.json --prefix 2001:db8:1:2345::/64 --iid rfc7597 --json; then
    jcheck calc_rules_file_iid "j['ce_ipv6']=='2001:db8:1:2345:0:cb00:7134:5'"
fi
# bare map_e object, version 1, two rules: longest match picks the BMR
cat >"$tmp/mape.json" <<'J'
{"version": 1, "br": "2403:9200:fff0::2", "rules": [
  {"ipv6": "2403:9200::/32", "ipv4": "203.86.225.0/28", "ea_length": 16, "psid_offset": 4},
  {"ipv6": "2403:9200:1200::/40", "ipv4": "198.51.100.0/24", "ea_length": 8, "psid_offset": 6}]}
J
if run calc_bare_mape 0 calc --rules "$tmp/mape.json" --prefix 2403:9200:1234::/48 --json; then
    jcheck calc_bare_mape "j['ipv4']=='198.51.100.52' and j['psid_len']==0 and j['port_count']==65536 and j['ports']==[[0,65535]] and j['ce_ipv6']=='2403:9200:1234::c633:6434:0'"
fi
if run calc_bare_mape_v4 0 calc --rules "$tmp/mape.json" --prefix 2403:9200:5678::/48 --json; then
    jcheck calc_bare_mape_v4 "j['ipv4']=='203.86.225.5' and j['psid']==0x678 and j['port_count']==15 and j['ce_ipv6']=='2403:9200:5678::cb56:e105:678'"
fi

# reverse
if run calc_reverse 0 calc --rule $A1 --reverse 192.0.2.18:9030 --json; then
    jcheck calc_reverse "j['prefix']=='2001:db8:12:d100::/56' and j['ce_ipv6']=='2001:db8:12:d100:0:c000:212:d1' and j['psid']==0xd1"
fi
if run calc_reverse_human 0 calc --rules "$tmp/mape.json" --reverse 203.86.225.1:4660; then
    grep -q '^prefix *2403:9200:1234::/48$' "$tmp/out" && grep -q '^map address *2403:9200:1234::cb56:e101:234 (rfc7597)$' "$tmp/out" &&
        pass calc_reverse_human || fail calc_reverse_human "$(cat "$tmp/out")"
fi
if run calc_reverse_excluded 1 calc --rules "$tmp/mape.json" --reverse 203.86.225.1:564 --json; then
    jcheck calc_reverse_excluded "j.get('excluded') is True and 'excluded' in j['error']"
fi
run calc_reverse_no_rule 1 calc --rule $A1 --reverse 1.2.3.4:80 && grep -q 'no rule covers' "$tmp/out" &&
    pass calc_reverse_no_rule || fail calc_reverse_no_rule "$(cat "$tmp/out")"
run calc_help 0 calc --help && grep -q '^usage: s46 calc' "$tmp/out" && pass calc_help || fail calc_help "no usage"

# Bad input: exactly one line on stderr (usage errors may add the usage
# text), exit 2, never a sanitizer report.
printf '{"map_e": {"br": "2001:db8::1", "rules": [' >"$tmp/trunc.json"
printf '{"map_e": {"br": 5, "rules": []}}' >"$tmp/types.json"
printf '\xff\xfe{"map_e":1}' >"$tmp/binary.json"
printf '{"map_e": {"br": "::1", "br": "::2", "rules": []}}' >"$tmp/dup.json"
big=$(head -c 100000 /dev/zero | tr '\0' 'a')
bad_cases=(
  "no_args|calc"
  "rule_and_rules|calc --rule $A1 --rules $tmp/mape.json --prefix 2001:db8::/56"
  "prefix_and_reverse|calc --rule $A1 --prefix 2001:db8:12:3400::/56 --reverse 192.0.2.18:1232"
  "garbage_prefix|calc --rule $A1 --prefix zzz"
  "prefix_host_bits|calc --rule $A1 --prefix 2001:db8:12:3401::/56"
  "prefix_outside|calc --rule $A1 --prefix 2001:db9::/56"
  "prefix_too_short|calc --rule $A1 --prefix 2001:db8:12::/48"
  "rule_fields|calc --rule 2001:db8::/40,192.0.2.0/24,16 --prefix 2001:db8:12:3400::/56"
  "rule_huge_number|calc --rule 2001:db8::/40,192.0.2.0/24,99999999999999999999,6 --prefix 2001:db8:12:3400::/56"
  "rule_negative|calc --rule 2001:db8::/40,192.0.2.0/24,-1,6 --prefix 2001:db8:12:3400::/56"
  "rule_offset|calc --rule 2001:db8::/40,192.0.2.0/24,16,16 --prefix 2001:db8:12:3400::/56"
  "rule_a_plus_k|calc --rule 2001:db8::/40,192.0.2.0/24,24,6 --prefix 2001:db8::/64"
  "rule_empty|calc --rule , --prefix 2001:db8::/64"
  "rule_empty_fields|calc --rule ,,, --prefix 2001:db8::/64"
  "iid_bad|calc --rule $A1 --prefix 2001:db8:12:3400::/56 --iid rfc9999"
  "reverse_bad|calc --rule $A1 --reverse 192.0.2.18"
  "reverse_port|calc --rule $A1 --reverse 192.0.2.18:65536"
  "reverse_v4|calc --rule $A1 --reverse 192.0.2.256:1"
  "rules_missing_file|calc --rules $tmp/nope.json --prefix 2001:db8::/64"
  "rules_truncated|calc --rules $tmp/trunc.json --prefix 2001:db8::/64"
  "rules_types|calc --rules $tmp/types.json --prefix 2001:db8::/64"
  "rules_binary|calc --rules $tmp/binary.json --prefix 2001:db8::/64"
  "rules_duplicate_key|calc --rules $tmp/dup.json --prefix 2001:db8::/64"
  "rules_no_mape|calc --rules README.md --prefix 2001:db8::/64"
  "unknown_option|calc --frobnicate"
  "missing_value|calc --rule"
  "huge_arg|calc --rule $big --prefix 2001:db8::/64"
  "huge_prefix|calc --rule $A1 --prefix $big"
  "non_utf8|calc --rule $(printf '\xc3\x28\xff') --prefix 2001:db8::/64"
  "unknown_command|frob"
)
multi_ok=" no_args unknown_option unknown_command missing_value "
for c in "${bad_cases[@]}"; do
    id=${c%%|*}
    read -r -a args <<<"${c#*|}"
    "$S46" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(grep -c '' "$tmp/err")
    if [ "$rc" -eq 2 ] && { [ "$lines" -eq 1 ] || [[ "$multi_ok" == *" $id "* ]]; } &&
       ! grep -q -E 'Sanitizer|runtime error' "$tmp/err"; then
        pass "bad_$id"
    else
        fail "bad_$id" "exit $rc, $lines stderr lines: $(head -c 300 "$tmp/err")"
    fi
done
