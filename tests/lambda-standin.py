#!/usr/bin/env python3
"""lambda-standin: a stand-in for the AWS Lambda Runtime API (2018-06-01).

Written from AWS's description of the API for custom runtimes:

  GET  /2018-06-01/runtime/invocation/next
       200, the event as the body, and the headers
       Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms (Unix ms),
       Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id.
  POST /2018-06-01/runtime/invocation/ID/response   202 (400: unknown ID)
  POST /2018-06-01/runtime/invocation/ID/error      202 (400: unknown ID)
  POST /2018-06-01/runtime/init/error               202

Invocations are the files of --queue DIR, in the order of their names; a
file's name less its extension is its request id.  Each is handed out
once.  What the runtime sends back is recorded in --out DIR: ID.response,
ID.error (with ID.error-type, the Lambda-Runtime-Function-Error-Type
header, and ID.error-ctype, the Content-Type), init.error (with
init.error-type and init.error-ctype).  As Lambda, an /init/error ends
the runtime's life: /next is answered 500 after it.  --log gets a line per request: "MS METHOD PATH
CONN" (milliseconds since the start, and the number of the connection it
came on, to see that the runtime keeps one open).

Once every invocation is answered, /next is answered 500 (the API's "non
recoverable state: the runtime should exit"), so that a test's runtime
ends; with --hold it waits instead (as Lambda, which freezes the
process).  --deadline-ms N gives each invocation N ms (default 3000);
--delay-ms N delays each /next answer; --next-status S answers /next with
status S (403, 500) from the start; --bad-id hands the invocations out
with a Lambda-Runtime-Aws-Request-Id a URL path cannot carry as it is,
--no-id without one (answers that no runtime can reply to).
"""

import argparse
import itertools
import os
import socket
import threading
import time
import http.server

API = "/2018-06-01/runtime"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queue", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--deadline-ms", type=int, default=3000)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--next-status", type=int, default=0)
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--bad-id", action="store_true")
    ap.add_argument("--no-id", action="store_true")
    a = ap.parse_args()

    names = sorted(n for n in os.listdir(a.queue)
                   if not n.startswith("."))
    queue = [(os.path.splitext(n)[0], os.path.join(a.queue, n))
             for n in names]
    lock = threading.Condition()
    state = {"next": 0, "open": set(), "answered": 0, "init_error": False}
    start = time.monotonic()
    conns = itertools.count(1)
    logf = open(a.log, "a", buffering=1) if a.log else None

    def log(method, path, conn):
        if logf:
            ms = (time.monotonic() - start) * 1000
            logf.write("%.3f %s %s %d\n" % (ms, method, path, conn))

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go out in two writes: without this, Nagle
            # and the client's delayed ACK add 40 ms to each answer.
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)
            self.conn = next(conns)

        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            log("GET", self.path, self.conn)
            if self.path != API + "/invocation/next":
                return self.reply(404, b'{"errorType":"NotFound"}')
            if a.delay_ms:
                time.sleep(a.delay_ms / 1000)
            if a.next_status:
                return self.reply(a.next_status,
                                  b'{"errorType":"Forced"}')
            with lock:
                if state["init_error"]:
                    return self.reply(
                        500, b'{"errorMessage":"the runtime reported an '
                        b'init error","errorType":"Runtime.Exit"}')
                while state["next"] >= len(queue):
                    if not a.hold and state["answered"] >= len(queue):
                        return self.reply(
                            500, b'{"errorMessage":"no more invocations",'
                            b'"errorType":"Runtime.Exit"}')
                    lock.wait(0.1)
                rid, path = queue[state["next"]]
                state["next"] += 1
                state["open"].add(rid)
            with open(path, "rb") as f:
                body = f.read()
            deadline = int(time.time() * 1000) + a.deadline_ms
            hdrs = [("Lambda-Runtime-Aws-Request-Id",
                     rid + "/../x" if a.bad_id else rid)]
            if a.no_id:
                hdrs = []
            self.reply(200, body, hdrs + [
                ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                ("Lambda-Runtime-Invoked-Function-Arn",
                 "arn:aws:lambda:us-east-1:123456789012:function:ingest"),
                ("Lambda-Runtime-Trace-Id",
                 "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"),
            ])

        def do_POST(self):
            def record(name, body):
                # The headers first: a test that sees NAME.error has all.
                for ext, h in (("error-type",
                                "Lambda-Runtime-Function-Error-Type"),
                               ("error-ctype", "Content-Type")):
                    with open(os.path.join(a.out, name + "." + ext),
                              "w") as f:
                        f.write(self.headers.get(h, "") + "\n")
                with open(os.path.join(a.out, name + ".error"), "wb") as f:
                    f.write(body)

            log("POST", self.path, self.conn)
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if self.path == API + "/init/error":
                record("init", body)
                with lock:
                    state["init_error"] = True
                return self.reply(202, b'{"status":"OK"}')
            parts = self.path[len(API):].split("/")
            # ["", "invocation", ID, "response"|"error"]
            if (not self.path.startswith(API) or len(parts) != 4 or
                    parts[1] != "invocation" or
                    parts[3] not in ("response", "error")):
                return self.reply(404, b'{"errorType":"NotFound"}')
            rid, what = parts[2], parts[3]
            with lock:
                if rid not in state["open"]:
                    return self.reply(
                        400, b'{"errorType":"InvalidRequestID"}')
                state["open"].discard(rid)
            if what == "error":
                record(rid, body)
            else:
                with open(os.path.join(a.out, rid + ".response"), "wb") as f:
                    f.write(body)
            with lock:
                state["answered"] += 1
                lock.notify_all()
            self.reply(202, b'{"status":"OK"}')

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
