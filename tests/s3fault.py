#!/usr/bin/env python3
"""s3fault: a fault-injecting HTTP front for S3 tests.

Sits between a client and s3rver, forwards every request, and makes the
requests that match a rule fail in the rule's way.  The port it listens on
is written to --port-file; each request is logged to --log as
"METHOD PATH X-AMZ-DATE OUTCOME" so that tests can count the tries and see
that each was signed afresh.

A rule is METHOD:REGEX:FAULT:COUNT.  METHOD is GET, PUT, HEAD or * ;
REGEX is searched in the request's path (query included, as sent); COUNT
is how many matching requests fail for each distinct path (N: its first N
tries, then it is forwarded; "*": always).  The first rule that matches and
still has a failure to give decides.  FAULT is one of:

  slowdown   503 with an S3 SlowDown error document
  500        500 with an S3 InternalError error document
  denied     403 with an S3 AccessDenied error document
  badsig     403 with an S3 SignatureDoesNotMatch error document
  reset      read the request, then reset the connection (no response)
  truncate   the real headers (full Content-Length), half the body, close
  corrupt    the real response with one byte of the body changed
  stall      read the request and answer nothing until the client gives up
             (closes the connection), or --stall-max seconds went by

With --stall-log, the end of each stall is logged there as "METHOD PATH
abandoned MS" when the client closed the connection MS milliseconds after
its request was read, or "METHOD PATH expired MS" when the front gave up
first: a test can tell that the client's timeout ended the stall.

With --verify-sigv4 SECRET, every request's AWS Signature Version 4 is
computed again by botocore's S3 signer (S3SigV4Auth, which never
normalises the path) from the request exactly as it arrived: its method,
its path and query as sent, the headers it names as signed, its body, and
SECRET as the secret key of whatever access key it names.  A request whose
signature or payload hash differs is answered 403 SignatureDoesNotMatch,
as S3 would, and logged with the outcome "badsig" (s3rver itself checks no
V4 signature).
"""

import argparse
import hashlib
import hmac
import http.client
import http.server
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
       "te", "trailer", "upgrade"}

ERRORS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "denied": (403, "AccessDenied", "Access Denied"),
    "badsig": (403, "SignatureDoesNotMatch",
               "The request signature we calculated does not match the "
               "signature you provided."),
}

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/([0-9]{8})/([^/]+)/([^/]+)/aws4_request,"
    r" ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$")


def sigv4_problem(method, target, headers, body, secret):
    """Why the request's SigV4 signature is wrong, or None when it is right.

    target is the request target as it arrived (path and query, never
    normalised); headers an email.message.Message (case-insensitive)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    m = AUTH_RE.match(headers.get("Authorization", ""))
    if not m:
        return "no SigV4 Authorization header"
    akid, _day, region, service, signed, signature = m.groups()
    names = signed.split(";")
    if "host" not in names or headers.get("Host") is None:
        return "Host is not signed"
    signed_headers = {}
    for name in names:
        if name == "host":
            continue
        if headers.get(name) is None:
            return "signed header %s is missing" % name
        signed_headers[name] = headers.get(name)
    body = body or b""
    if headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 is not the hash of the body"
    if headers.get("x-amz-date") is None:
        return "no x-amz-date"
    request = AWSRequest(method=method,
                         url="http://%s%s" % (headers.get("Host"), target),
                         headers=signed_headers, data=body)
    request.context["timestamp"] = headers.get("x-amz-date")
    auth = S3SigV4Auth(Credentials(akid, secret,
                                   headers.get("x-amz-security-token")),
                       service, region)
    canonical = auth.canonical_request(request)
    mine = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(mine, signature):
        return "signature differs"
    return None


class Rule:
    def __init__(self, text):
        parts = text.split(":")
        if len(parts) < 4:
            raise ValueError("rule %r: want METHOD:REGEX:FAULT:COUNT" % text)
        self.method = parts[0]
        self.count = parts[-1]
        self.fault = parts[-2]
        self.regex = re.compile(":".join(parts[1:-2]))
        if self.fault not in ERRORS and self.fault not in (
                "reset", "truncate", "corrupt", "stall"):
            raise ValueError("rule %r: unknown fault %r" % (text, self.fault))
        self.seen = {}

    def applies(self, method, path):
        if self.method not in ("*", method) or not self.regex.search(path):
            return False
        n = self.seen.get(path, 0)
        if self.count != "*" and n >= int(self.count):
            return False
        self.seen[path] = n + 1
        return True


class State:
    def __init__(self, upstream, rules, log, stall_log=None, stall_max=120.0,
                 secret=None):
        u = urllib.parse.urlsplit(upstream)
        self.secret = secret
        self.host = u.hostname
        self.port = u.port
        self.rules = rules
        self.log = log
        self.stall_log = stall_log
        self.stall_max = stall_max
        self.lock = threading.Lock()
        self.local = threading.local()

    def decide(self, method, path):
        with self.lock:
            for r in self.rules:
                if r.applies(method, path):
                    return r.fault
        return None

    def record(self, method, path, date, outcome):
        with self.lock:
            if self.log:
                with open(self.log, "a", encoding="utf-8") as f:
                    f.write("%s %s %s %s\n" % (method, path, date, outcome))

    def record_stall(self, method, path, outcome, ms):
        with self.lock:
            if self.stall_log:
                with open(self.stall_log, "a", encoding="utf-8") as f:
                    f.write("%s %s %s %d\n" % (method, path, outcome, ms))

    def upstream(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.local.conn = c
        return c


class Server(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops the SYNs of a client opening 64
    # connections at once, which then wait a second to try again.
    request_queue_size = 256
    daemon_threads = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3fault"

    def log_message(self, fmt, *args):
        pass

    def forward(self, body):
        st = self.server.state
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP}
        for attempt in (1, 2):
            c = st.upstream()
            try:
                c.request(self.command, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                return r.status, r.reason, r.getheaders(), data
            except (ConnectionError, http.client.HTTPException, OSError):
                c.close()
                st.local.conn = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    def send_all(self, status, reason, headers, body, length=None):
        self.send_response_only(status, reason)
        for k, v in headers:
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()

    def handle_one(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        fault = None
        if st.secret is not None and sigv4_problem(
                self.command, self.path, self.headers, body, st.secret):
            fault = "badsig"
        if fault is None:
            fault = st.decide(self.command, self.path)
        st.record(self.command, self.path, self.headers.get("x-amz-date", "-"),
                  fault or "ok")
        if fault in ERRORS:
            status, code, msg = ERRORS[fault]
            doc = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s"
                   "</Code><Message>%s</Message><RequestId>FAULT%04d</RequestId>"
                   "</Error>" % (code, msg, status)).encode()
            if self.command == "HEAD":
                doc = b""
            self.send_all(status, None, [("Content-Type", "application/xml")], doc)
            if doc:
                self.wfile.write(doc)
            return
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if fault == "stall":
            self.close_connection = True
            self.stall()
            return
        status, reason, headers, data = self.forward(body)
        if fault == "truncate" and len(data) >= 2:
            self.send_all(status, reason, headers, data)
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "corrupt" and data:
            data = bytes([data[0] ^ 0x20]) + data[1:]
        self.send_all(status, reason, headers, data)
        if self.command != "HEAD":
            self.wfile.write(data)

    def stall(self):
        """Answer nothing: wait for the client to close the connection."""
        st = self.server.state
        start = time.monotonic()
        outcome = "expired"
        while True:
            left = st.stall_max - (time.monotonic() - start)
            if left <= 0:
                break
            self.connection.settimeout(left)
            try:
                if not self.connection.recv(65536):
                    outcome = "abandoned"
                    break
            except socket.timeout:
                break
            except OSError:
                outcome = "abandoned"
                break
        st.record_stall(self.command, self.path, outcome,
                        int((time.monotonic() - start) * 1000))

    def do_GET(self):
        self.handle_one()

    do_PUT = do_HEAD = do_POST = do_DELETE = do_GET


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--stall-log")
    ap.add_argument("--stall-max", type=float, default=120.0)
    ap.add_argument("--verify-sigv4", metavar="SECRET")
    ap.add_argument("rules", nargs="*")
    a = ap.parse_args()
    try:
        rules = [Rule(r) for r in a.rules]
    except ValueError as e:
        print("s3fault: %s" % e, file=sys.stderr)
        return 64
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = State(a.upstream, rules, a.log, a.stall_log, a.stall_max,
                      a.verify_sigv4)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
