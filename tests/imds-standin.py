#!/usr/bin/python3
"""imds-standin.py: a stand-in for the EC2 instance metadata service
(IMDSv2) and for the container credentials endpoint, on loopback, for the
tests.  It listens on 127.0.0.1 on a port the system picks, writes that
port to --port-file (and prints "port N"), and logs every request to --log,
one line each:

    PUT /latest/api/token 200 token=no ttl=21600 auth=no

so that a test can count requests, see a refresh, and check that no
request went out without a session token.

IMDSv2 as AWS documents it:
  PUT /latest/api/token              needs X-aws-ec2-metadata-token-ttl-seconds
                                     (1..21600, else 400); 403 when the
                                     request carries X-Forwarded-For
  GET /latest/meta-data/iam/security-credentials/        the role name
  GET /latest/meta-data/iam/security-credentials/ROLE    the credentials
      both need X-aws-ec2-metadata-token with a token it issued, else 401
      (an IMDSv1 request, without a token, is refused)
Container endpoint:
  GET /container/...                 the credentials; with --container-token,
                                     the Authorization header must equal it (401)

Credentials are numbered per issue (ASIASTANDIN0001, 0002...) and expire
--expires-in seconds from now (negative: already expired).

Faults: --no-role (404 for the role), --token-status N (the token PUT
answers N), --fail-first N (the first N requests answer 500), --max-creds N
(after N credentials, 500).
"""
import argparse
import datetime
import http.server
import json
import os
import secrets
import signal
import sys

MAX_TTL = 21600


class State:
    def __init__(self, args):
        self.args = args
        self.tokens = set()
        self.requests = 0
        self.issued = 0
        self.log = open(args.log, 'a', buffering=1)


def credentials_json(state, with_code):
    state.issued += 1
    n = state.issued
    now = datetime.datetime.now(datetime.timezone.utc)
    exp = now + datetime.timedelta(seconds=state.args.expires_in)
    body = {}
    if with_code:
        body.update({'Code': 'Success', 'Type': 'AWS-HMAC',
                     'LastUpdated': now.strftime('%Y-%m-%dT%H:%M:%SZ')})
    body.update({
        'AccessKeyId': 'ASIASTANDIN%04d' % n,
        'SecretAccessKey': 'standin-secret-%04d' % n,
        'Token': 'standin-token-%04d/+=' % n,
        'Expiration': exp.strftime('%Y-%m-%dT%H:%M:%SZ'),
    })
    return json.dumps(body)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'imds-standin'

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body='', headers=()):
        state = self.server.state
        data = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        token = self.headers.get('X-aws-ec2-metadata-token')
        state.log.write('%s %s %d token=%s ttl=%s auth=%s\n' % (
            self.command, self.path, status,
            'yes' if token else 'no',
            self.headers.get('X-aws-ec2-metadata-token-ttl-seconds', '-'),
            'yes' if self.headers.get('Authorization') else 'no'))

    def fault(self):
        state = self.server.state
        state.requests += 1
        if state.requests <= state.args.fail_first:
            self.answer(500, 'injected failure')
            return True
        return False

    def has_token(self):
        token = self.headers.get('X-aws-ec2-metadata-token')
        return token is not None and token in self.server.state.tokens

    def do_PUT(self):
        state = self.server.state
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        if self.fault():
            return
        if self.path != '/latest/api/token':
            self.answer(404, 'not found')
            return
        if self.headers.get('X-Forwarded-For'):
            self.answer(403, 'forwarded')
            return
        if state.args.token_status != 200:
            self.answer(state.args.token_status, 'token refused')
            return
        ttl = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')
        try:
            ttl_n = int(ttl)
        except (TypeError, ValueError):
            ttl_n = 0
        if not 1 <= ttl_n <= MAX_TTL:
            self.answer(400, 'missing or bad ttl')
            return
        token = secrets.token_urlsafe(32)
        state.tokens.add(token)
        self.answer(200, token,
                    [('X-aws-ec2-metadata-token-ttl-seconds', str(ttl_n))])

    def do_GET(self):
        state = self.server.state
        if self.fault():
            return
        base = '/latest/meta-data/iam/security-credentials/'
        if self.path.startswith('/container/'):
            want = state.args.container_token
            if want is not None and self.headers.get('Authorization') != want:
                self.answer(401, 'bad authorization')
                return
            if state.issued >= state.args.max_creds:
                self.answer(500, 'no more credentials')
                return
            self.answer(200, credentials_json(state, False))
            return
        if not self.path.startswith('/latest/'):
            self.answer(404, 'not found')
            return
        if not self.has_token():
            self.answer(401, 'IMDSv1 is disabled')
            return
        if self.path == base:
            if state.args.no_role:
                self.answer(404, 'no role')
            else:
                self.answer(200, state.args.role)
            return
        if self.path == base + state.args.role and not state.args.no_role:
            if state.issued >= state.args.max_creds:
                self.answer(500, 'no more credentials')
                return
            self.answer(200, credentials_json(state, True))
            return
        self.answer(404, 'not found')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--port-file', required=True)
    p.add_argument('--log', required=True)
    p.add_argument('--role', default='cs-warehouse-role')
    p.add_argument('--expires-in', type=int, default=3600)
    p.add_argument('--no-role', action='store_true')
    p.add_argument('--token-status', type=int, default=200)
    p.add_argument('--fail-first', type=int, default=0)
    p.add_argument('--max-creds', type=int, default=1 << 30)
    p.add_argument('--container-token')
    args = p.parse_args()

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    server.state = State(args)
    port = server.server_address[1]
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % port)
    os.rename(tmp, args.port_file)
    print('port %d' % port, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
