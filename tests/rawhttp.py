"""Raw HTTP exchanges for the provisioning server's tests (a module).

exchange(sock, data): sends data (one or more requests, as bytes, exactly
as given: no client library fixes them up), reads until the server closes
or goes quiet, and returns (statuses, count): every status code that came
back, in order, joined with "," ("none" if none), and how many "HTTP/1."
status lines there were (a header block repeated in a body counts twice).
"""
import re
import socket
import ssl


def exchange(sock, data):
    sock.sendall(data)
    out = b""
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ssl.SSLError):
        pass
    sock.close()
    st = [m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3})", out)]
    return (",".join(st) if st else "none"), out.count(b"HTTP/1.")
