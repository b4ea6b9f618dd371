#!/usr/bin/env bash
# What an operator installs: `make install` with DESTDIR and PREFIX (the
# tree: programs, systemd units with their paths filled in, provd's
# sysusers.d entry, example settings, docs); the units pass
# `systemd-analyze verify` and each daemon runs with exactly the
# capabilities its unit leaves it (CapabilityBoundingSet, read from the
# installed unit): s46-br on TUN, AF_PACKET and AF_XDP, s46-ce on TUN with its
# DNS proxy on port 53, s46-provd as an unprivileged user on port 443; with
# one capability less each fails. Then the Debian packages, built by
# scripts/package (dpkg-buildpackage -us -uc -b in a copy of the tree), are
# installed by dpkg into an empty root (--root: maintainer scripts run,
# provd's system user is created there), every program runs `--version`
# from it on the system's libraries, the packages share no file, and s46-ce
# depends on none of the server libraries.
# s46-test-timeout: 300
set -u
cd "$(dirname "$0")/../.."
VER=$(sed -n 's/^#define S46_VERSION "\(.*\)"/\1/p' src/lib/version.h)
P=s46pk$$
NS=$P-ns
tmp=$(mktemp -d)
# what the user nobody runs and writes (the test's own folder is private)
pub=$(mktemp -d /tmp/s46pk-pub.XXXXXX)
cleanup() {
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$tmp" "$pub"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { # name, why-if-not, command...
    local n=$1 why=$2; shift 2
    if "$@"; then pass "$n"; else fail "$n" "$why"; fi
}
checkl() { # like check, the why an expression evaluated after the command
    local n=$1 why=$2; shift 2
    if "$@"; then pass "$n"; else fail "$n" "$(eval "echo \"$why\"")"; fi
}

# ---- make install into DESTDIR with PREFIX=/usr
D=$tmp/destdir
if ! make -s install DESTDIR="$D" PREFIX=/usr >"$tmp/install.log" 2>&1; then
    fail install_destdir "make install failed: $(tail -n 3 "$tmp/install.log" | tr '\n' ' ')"
    exit 1
fi
want="etc/s46/aftr.json.example etc/s46/br.json.example etc/s46/ce.json.example
etc/s46/lwaftr.json.example etc/s46/profile.json.example etc/s46/s46-br.env.example
etc/s46/s46-ce.env.example etc/s46/s46-provd.env.example
usr/bin/s46 usr/bin/s46-br usr/bin/s46-ce usr/bin/s46-provd
usr/lib/systemd/system/s46-br.service usr/lib/systemd/system/s46-ce.service
usr/lib/systemd/system/s46-provd.service usr/lib/sysusers.d/s46-provd.conf
usr/share/doc/s46/README.md usr/share/doc/s46/docs/install.md usr/share/doc/s46/docs/daemons.md
usr/share/doc/s46/examples/hb46pp-example.json"
missing=
for f in $want; do [ -f "$D/$f" ] || missing="$missing $f"; done
check install_destdir "missing:$missing" [ -z "$missing" ]
got=$(cd "$D" && find . -type f | sed 's|^\./||' | grep -v '^usr/share/doc/s46/' | sort)
extra=$(comm -13 <(echo "$want" | tr ' ' '\n' | grep -v '^usr/share/doc/s46/' | sort) <(echo "$got"))
check install_nothing_else "unexpected files: $extra" [ -z "$extra" ]
bad=$(cd "$D" && for f in usr/bin/*; do [ -x "$f" ] || echo "$f"; done
      find etc usr/lib -type f ! -perm 0644)
check install_modes "wrong modes: $bad" [ -z "$bad" ]
left=$(grep -l '@[A-Z]*@' "$D"/usr/lib/systemd/system/*.service)
check install_units_filled "placeholders left in $left" [ -z "$left" ]
check install_units_paths "ExecStart not /usr/bin or configs not under /etc/s46" \
    grep -q '^ExecStart=/usr/bin/s46-br --config /etc/s46/br.json ' "$D/usr/lib/systemd/system/s46-br.service"
for p in s46 s46-br s46-ce s46-provd; do
    v=$("$D/usr/bin/$p" --version 2>&1)
    check "install_version_$p" "got '$v'" [ "$v" = "$p $VER" ]
done

# ---- the units: systemd-analyze verify on an install with real paths (its
# ExecStart must exist), silent on every unit; a misspelt option is seen.
U=$tmp/prefix
make -s install PREFIX="$U" SYSCONFDIR="$U/etc" >"$tmp/install2.log" 2>&1 ||
    fail install_prefix "make install PREFIX=... failed"
if command -v systemd-analyze >/dev/null; then
    for u in s46-br s46-ce s46-provd; do
        out=$(systemd-analyze verify "$U/lib/systemd/system/$u.service" 2>&1)
        check "unit_verify_$u" "$(echo "$out" | head -n 3 | tr '\n' ' ')" [ -z "$out" ]
        # the installed unit and the DESTDIR one differ only in paths
        d=$(diff <(sed "s|$U|/usr|g; s|/usr/etc|/etc|g" "$U/lib/systemd/system/$u.service") \
                 "$D/usr/lib/systemd/system/$u.service")
        check "unit_same_$u" "$d" [ -z "$d" ]
    done
    sed 's/^ProtectSystem=strict/ProtectSytem=strict/' "$U/lib/systemd/system/s46-br.service" >"$tmp/typo.service"
    check unit_verify_sees_typo "systemd-analyze verify said nothing about a misspelt option" \
        test -n "$(systemd-analyze verify "$tmp/typo.service" 2>&1)"
    for u in s46-br s46-ce s46-provd; do
        e=$(systemd-analyze security --offline=true "$U/lib/systemd/system/$u.service" 2>&1 |
            sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        echo "# $u: systemd-analyze security exposure $e"
        check "unit_exposure_$u" "exposure '$e' (want below 5: MEDIUM or better)" \
            awk -v e="$e" 'BEGIN { exit !(e != "" && e + 0 < 5) }'
    done
else
    echo "SKIP unit_verify: systemd-analyze not installed (package systemd)"
fi

# ---- the capabilities of each unit, as the daemons use them
caps_of() { # unit -> "+net_admin,+net_raw,..." from CapabilityBoundingSet
    sed -n 's/^CapabilityBoundingSet=//p' "$D/usr/lib/systemd/system/$1.service" |
        tr ' ' '\n' | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd, -
}
without() { echo "$1" | tr ',' '\n' | grep -vx "+$2" | paste -sd, -; }
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip -n "$NS" link add v4 type veth peer name v4p
ip -n "$NS" link add v6 type veth peer name v6p
for i in v4 v4p v6 v6p; do ip -n "$NS" link set "$i" up; done
# runs a daemon in the namespace with bounding set $1 until its control
# socket answers `s46 show` (then SIGTERM), or it exits; says which
ctl=$tmp/ctl.sock
run_capped() { # caps, log, program args...
    local caps=$1 log=$2; shift 2
    rm -f "$ctl"
    ip netns exec "$NS" setpriv --inh-caps=-all --bounding-set="-all,$caps" "$@" >"$log" 2>&1 &
    local pid=$! ok=1
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        if [ -S "$ctl" ] && "$D/usr/bin/s46" show --ctl "$ctl" >"$log.show" 2>&1; then ok=0; break; fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return $ok
}
BRC=$(caps_of s46-br)
echo "# s46-br.service capabilities: $BRC"
BR="$D/usr/bin/s46-br --config $D/etc/s46/br.json.example --ctl $ctl"
checkl caps_br_tun 's46-br on TUN with $BRC: $(head -c 200 "$tmp/br.log")' \
    run_capped "$BRC" "$tmp/br.log" $BR --tun "${P}br"
checkl caps_br_afpacket 's46-br on AF_PACKET with $BRC: $(head -c 200 "$tmp/br.log")' \
    run_capped "$BRC" "$tmp/br.log" $BR --v4-if v4 --v6-if v6 --io afpacket --workers 1
if run_capped "$BRC" "$tmp/br.log" $BR --v4-if v4 --v6-if v6 --io xdp --workers 1 &&
    grep -q '(xdp, 1 worker)' "$tmp/br.log"; then
    pass caps_br_xdp
else
    fail caps_br_xdp "s46-br on AF_XDP with $BRC: $(head -c 300 "$tmp/br.log")"
fi
check caps_br_tun_needs_net_admin "s46-br ran on TUN without CAP_NET_ADMIN" \
    eval '! run_capped "$(without "$BRC" net_admin)" "$tmp/br.log" $BR --tun "${P}br"'
check caps_br_afpacket_needs_net_raw "s46-br ran on AF_PACKET without CAP_NET_RAW" \
    eval '! run_capped "$(without "$BRC" net_raw)" "$tmp/br.log" $BR --v4-if v4 --v6-if v6 --io afpacket --workers 1'

# every example of /etc/s46 loads (the AFTR's log moved into the test's folder)
sed "s|/var/log/s46-br/|$tmp/|" "$D/etc/s46/aftr.json.example" >"$tmp/aftr.json"
for ex in "$tmp/aftr.json" "$D/etc/s46/lwaftr.json.example"; do
    n=$(basename "$ex" | cut -d. -f1)
    checkl "example_$n" '$n example: $(head -c 200 "$tmp/br.log")' \
        run_capped "$BRC" "$tmp/br.log" "$D/usr/bin/s46-br" --config "$ex" --ctl "$ctl" --tun "${P}br"
done
check example_aftr_log "no port-block log from the AFTR example" test -s "$tmp/blocks.log"
check example_profile "s46-provd refused profile.json.example" \
    "$D/usr/bin/s46-provd" profile add 2001:db8::/32 "$D/etc/s46/profile.json.example" --db "$tmp/ex.db"
ip -n "$NS" link add lan0 type veth peer name lan0p && ip -n "$NS" link set lan0 up &&
    ip -n "$NS" addr add 2001:db8:12:3400::1/64 dev lan0 nodad

CEC=$(caps_of s46-ce)
echo "# s46-ce.service capabilities: $CEC"
cat >"$tmp/ce.json" <<'J'
{"prefix": "2001:db8:12:3400::/56", "routes": false,
 "map_e": {"version": 1, "br": "2001:db8:ffff::1",
           "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]},
 "dns_proxy": {"listen": ["127.0.0.1"], "forwarders": ["::1"]}}
J
CE="$D/usr/bin/s46-ce --config $tmp/ce.json --ctl $ctl --tun ${P}ce"
if run_capped "$CEC" "$tmp/ce.log" $CE && grep -q 'DNS proxy on' "$tmp/ce.log"; then
    pass caps_ce_tun_dns
else
    fail caps_ce_tun_dns "s46-ce on TUN with its DNS proxy on port 53 with $CEC: $(head -c 300 "$tmp/ce.log")"
fi
if run_capped "$CEC" "$tmp/ce.log" "$D/usr/bin/s46-ce" --config "$D/etc/s46/ce.json.example" --ctl "$ctl" --tun "${P}ce" &&
    grep -q '"2001:db8:12:3400::/56"' "$tmp/ce.log.show"; then
    pass example_ce
else
    fail example_ce "ce.json.example (HB46PP, prefix from lan0): $(head -c 200 "$tmp/ce.log") $(grep -i prefix "$tmp/ce.log.show" | head -c 200)"
fi
check caps_ce_dns_needs_net_bind_service "s46-ce bound port 53 without CAP_NET_BIND_SERVICE" \
    eval '! { run_capped "$(without "$CEC" net_bind_service)" "$tmp/ce.log" $CE && grep -q "DNS proxy on" "$tmp/ce.log"; }'

PVC=$(caps_of s46-provd)
echo "# s46-provd.service capabilities: $PVC (as user nobody)"
check caps_provd_only_bind "s46-provd.service keeps $PVC" [ "$PVC" = "+net_bind_service" ]
check caps_provd_user "s46-provd.service does not run as s46-provd, or sysusers.d does not create it" \
    eval 'grep -qx "User=s46-provd" "$D/usr/lib/systemd/system/s46-provd.service" &&
          grep -q "^u s46-provd " "$D/usr/lib/sysusers.d/s46-provd.conf"'
chmod 755 "$pub" && install -m 0755 "$D/usr/bin/s46-provd" "$pub/" &&
    install -d -o nobody -g nogroup "$pub/db"
provd_serves() { # ambient caps ("" or +net_bind_service): 0 if it answers on port 443
    local amb=$1
    ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        --inh-caps="-all${amb:+,$amb}" ${amb:+--ambient-caps="$amb"} --bounding-set="-all,$PVC" \
        "$pub/s46-provd" serve --db "$pub/db/prov.db" --port 443 >"$tmp/provd.log" 2>&1 &
    local pid=$! code=
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        code=$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            'http://[::1]:443/config?vendorid=acde48-v6pc_swg_hgw&product=V6MIG-ROUTER&version=1_0&capability=map_e')
        [ "$code" != 000 ] && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -n "$code" ] && [ "$code" != 000 ]
}
checkl caps_provd_443_unprivileged 's46-provd as nobody with $PVC did not answer on port 443: $(head -c 200 "$tmp/provd.log")' \
    provd_serves "$PVC"
check caps_provd_443_needs_cap "s46-provd as nobody answered on port 443 without the capability" \
    eval '! provd_serves ""'

# ---- the Debian packages
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
    echo "SKIP deb: dpkg-buildpackage or debhelper missing (scripts/setup installs them)"
    exit 0
fi
others() { git ls-files --others | grep -v '^build/' | sort; }
before=$(others)
start=$SECONDS
if ! OUT=$tmp/deb bash scripts/package >"$tmp/package.log" 2>&1; then
    fail deb_build "scripts/package failed: $(tail -n 5 "$tmp/package.log" | tr '\n' ' ')"
    exit 1
fi
echo "# dpkg-buildpackage -b: $((SECONDS - start)) s"
debs=$(ls "$tmp"/deb/*.deb | grep -v dbgsym)
names=$(for d in $debs; do dpkg-deb -f "$d" Package; done | sort | paste -sd' ' -)
check deb_packages "got: $names" [ "$names" = "s46-br s46-ce s46-provd s46-tools" ]
vers=$(for d in $debs; do dpkg-deb -f "$d" Version; done | sort -u | paste -sd' ' -)
check deb_version_is_ours "package versions $vers, the programs' $VER (debian/changelog)" [ "$vers" = "$VER" ]
new=$(comm -13 <(echo "$before") <(others))
check deb_repo_clean "the build left files in the repository: $(echo $new | head -c 200)" [ -z "$new" ]

# dpkg installs them into an empty root: maintainer scripts run there
R=$tmp/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/etc"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
# (--force-depends: the root holds no libc; the programs run on the system's)
dpkg --root="$R" --force-script-chrootless --force-depends -i $debs >"$tmp/dpkg.log" 2>&1
st=$(dpkg --root="$R" -l 's46*' 2>/dev/null | awk '/^[a-z][a-z] /{print $1, $2}' | paste -sd' ' -)
check deb_install_root "dpkg --root: $st; $(grep -iE 'error|fail' "$tmp/dpkg.log" | head -n 3 | tr '\n' ' ')" \
    [ "$st" = "ii s46-br ii s46-ce ii s46-provd ii s46-tools" ]
check deb_provd_user "no s46-provd user in the root's passwd" grep -q '^s46-provd:' "$R/etc/passwd"
for p in s46 s46-br s46-ce s46-provd; do
    v=$("$R/usr/bin/$p" --version 2>&1)
    nf=$(ldd "$R/usr/bin/$p" | grep 'not found')
    check "deb_version_$p" "got '$v' ${nf:+(missing: $nf)}" eval '[ "$v" = "$p $VER" ] && [ -z "$nf" ]'
done
for u in s46-br s46-ce s46-provd; do
    d=$(diff "$R/lib/systemd/system/$u.service" <(sed 's|/usr/lib/systemd|/lib/systemd|' "$D/usr/lib/systemd/system/$u.service"))
    check "deb_unit_$u" "the packaged unit differs from make install's: $d" [ -z "$d" ]
done
dup=$(for d in $debs; do dpkg-deb -c "$d" | awk '$1 !~ /^d/ {print $6}'; done | sort | uniq -d)
check deb_no_shared_file "files in two packages: $dup" [ -z "$dup" ]
ce=$(ls "$tmp"/deb/s46-ce_*.deb)
dep=$(dpkg-deb -f "$ce" Depends)
echo "# s46-ce Depends: $dep"
check deb_ce_no_server_libs "s46-ce depends on a server library: $dep" \
    eval '! echo "$dep" | grep -qE "libmicrohttpd|libsqlite3|libsodium|libgnutls"'
check deb_ce_shlibs "s46-ce's Depends lacks its own libraries (shlibs not computed?): $dep" \
    eval 'echo "$dep" | grep -q libcurl4 && echo "$dep" | grep -q libc-ares'
cebins=$(dpkg-deb -c "$ce" | awk '{print $6}' | grep 'bin/.' | paste -sd' ' -)
check deb_ce_alone "s46-ce ships more programs than the CE: $cebins" [ "$cebins" = "./usr/bin/s46-ce" ]
pdep=$(dpkg-deb -f "$(ls "$tmp"/deb/s46-provd_*.deb)" Depends)
check deb_provd_shlibs "s46-provd's Depends: $pdep" eval 'echo "$pdep" | grep -q libmicrohttpd'
