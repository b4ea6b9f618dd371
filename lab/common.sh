# Shell functions shared by the lab and the tests that stand up an ISP's
# provisioning side: a throw-away CA with one server certificate, the head
# of an unbound configuration that serves local data only, and one value of
# a daemon's `s46 show --json`. Source it; nothing runs on its own.

# s46_test_ca DIR NAME...: DIR/ca.pem (+ ca.key) and DIR/srv.pem + DIR/srv.key
# for the DNS names given (the first is the subject). 0 or 1.
s46_test_ca() {
    local dir=$1; shift
    local san="" n
    for n in "$@"; do san="${san:+$san,}DNS:$n"; done
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=s46-test-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 || return 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$dir/srv.key" -out "$dir/srv.csr" >/dev/null 2>&1 || return 1
    printf 'subjectAltName=%s\n' "$san" >"$dir/srv.ext"
    openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 2 -extfile "$dir/srv.ext" -out "$dir/srv.pem" >/dev/null 2>&1
}

# s46_unbound_head DIR ADDR: the server clause of an unbound config that
# listens on ADDR port 53 (IPv6 only), answers anyone, logs to stderr and
# keeps its files in DIR; local-zone/local-data lines follow it.
s46_unbound_head() {
    cat <<C
server:
  interface: $2
  port: 53
  do-ip4: no
  access-control: ::/0 allow
  chroot: ""
  username: ""
  directory: "$1"
  pidfile: ""
  use-syslog: no
  logfile: ""
C
}

# s46_show_field S46 SOCK PATH: the value at the dotted PATH of `S46 show
# --json --ctl SOCK` (strings bare, booleans true/false, missing as null).
s46_show_field() {
    "$1" show --json --ctl "$2" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$3" 2>/dev/null
}
