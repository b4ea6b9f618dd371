#!/usr/bin/env python3
"""A scripted HB46PP server for the CE client's tests: each path gives one
kind of answer (good data, errors, redirects, bad data), and every request
is appended to a log file as "PATH QUERY" so tests can see what the CE
sent. Usage: hb46pp_testserver.py ADDR PORT LOGFILE [CERT KEY]"""
import http.server
import json
import socket
import ssl
import sys
import threading

ADDR, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
RULE = {"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}
RULE_B = {"ipv6": "2001:db8::/40", "ipv4": "198.18.0.0/24", "ea_length": 16, "psid_offset": 6}


def mape(rule):
    return {"version": 1, "mesh": False, "br": "2001:db8:ffff::1", "rules": [rule]}


GOOD = {"enabler_name": "test VNE", "ttl": 600, "order": ["map_e"], "map_e": mape(RULE),
        "token": "ab" * 32}
flip = [0]
lock = threading.Lock()

PAGES = {
    "/ok": (200, GOOD),
    "/e500": (500, "internal error\n"),
    "/e403": (403, "forbidden\n"),
    "/r1": (307, "/r2"),
    "/r2": (307, "/ok"),
    "/loop1": (307, "/loop2"),
    "/loop2": (307, "/loop1"),
    "/v4": (307, "http://192.0.2.1/ok"),
    "/malformed": (200, '{"order": ["map_e"], "map_e": '),
    "/bigttl": (200, dict(GOOD, ttl=604801)),
    "/empty": (200, {"ttl": 600, "order": []}),
    "/authbad": (200, {"ttl": 600, "order": [], "auth": "bad"}),
    "/badtoken": (200, dict(GOOD, token="XYZ")),
    # answers the validator must refuse (docs/hb46pp.md, N2): the rule set
    # cannot be built, or the BR is no global unicast address / a CE's own
    "/conflict6": (200, dict(GOOD, map_e=dict(mape(RULE), rules=[RULE, RULE_B]))),
    "/conflict4": (200, dict(GOOD, map_e=dict(mape(RULE), rules=[
        RULE, dict(RULE, ipv6="2001:db8:100::/40")]))),
    "/brmcast": (200, dict(GOOD, map_e=dict(mape(RULE), br="ff02::1"))),
    "/brself": (200, dict(GOOD, map_e=dict(mape(RULE), br="2001:db8:12:3400:0:c000:212:34"))),
    "/norule": (200, dict(GOOD, map_e=mape(dict(RULE, ipv6="2001:db9::/40")))),
}
for i in range(8):  # /far0 -> /far1 -> ... -> /far7 -> /ok: too many hops
    PAGES["/far%d" % i] = (307, "/far%d" % (i + 1) if i < 7 else "/ok")


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        with lock, open(LOG, "a") as f:
            f.write("%s %s\n" % (path, query))
        if path == "/flip":  # alternating answers, ttl 0: the CE rewrites its store all the time
            with lock:
                flip[0] ^= 1
                code, body = 200, dict(GOOD, ttl=0, map_e=mape(RULE if flip[0] else RULE_B))
        else:
            code, body = PAGES.get(path, (404, "not found\n"))
        if code == 307:
            self.send_response(307)
            self.send_header("Location", body)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if code == 200 else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


srv = S((ADDR, PORT), H)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
