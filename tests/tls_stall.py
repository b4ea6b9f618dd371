#!/usr/bin/env python3
"""TLS clients that stop in the middle of their handshake (test helper).

usage: tls_stall.py ADDR PORT SNI N PAUSE PATH [--never]

Opens N connections to [ADDR]:PORT, sends each ClientHello, reads the
server's whole flight (ServerHello .. Finished), so the server is left
waiting for the client's Finished; prints "stalled N" and stops for PAUSE
seconds. Then, without --never, it completes every handshake, sends
"GET PATH" with Connection: close and prints each answer's status line.
With --never it prints, per connection, "closed after S s" when the server
drops it (or "open" if it is still open after PAUSE seconds).
The certificate is not checked (the server's CPU is what is under test).
"""
import socket
import ssl
import sys
import time


def main():
    addr, port, sni, n, pause, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    never = "--never" in sys.argv[7:]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conns = []
    for _ in range(n):
        s = socket.create_connection((addr, port), timeout=10)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        o = ctx.wrap_bio(inc, out, server_hostname=sni)
        try:
            o.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s.sendall(out.read())
        while True:  # until our side is done: the server's flight is all here
            data = s.recv(65536)
            if not data:
                sys.exit("server closed during the handshake")
            inc.write(data)
            try:
                o.do_handshake()
                break
            except ssl.SSLWantReadError:
                continue
        conns.append((s, inc, out, o))
    print(f"stalled {len(conns)}", flush=True)
    t0 = time.time()
    if never:
        for s, _, _, _ in conns:
            s.settimeout(max(0.1, pause - (time.time() - t0)))
            try:
                while s.recv(65536):
                    pass
                print(f"closed after {time.time() - t0:.1f} s")
            except (socket.timeout, TimeoutError):
                print("open")
            except OSError:
                print(f"closed after {time.time() - t0:.1f} s")
        return
    time.sleep(pause)
    for s, inc, out, o in conns:
        o.write(f"GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        s.sendall(out.read())  # our Finished, then the request
        buf = b""
        while b"\r\n" not in buf:
            data = s.recv(65536)
            if not data:
                break
            inc.write(data)
            try:
                buf += o.read(65536)
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                break
        print(buf.split(b"\r\n")[0].decode(errors="replace") or "no answer", flush=True)


if __name__ == "__main__":
    main()
