#!/usr/bin/python3
"""sigv4-botocore.py: sign each request of a SigV4 case file
(tests/data/sigv4/ format) with botocore's own S3 signer, S3SigV4Auth, and
print what tests/sigv4-sign prints for libcs, so that t2010 can compare
them byte for byte.

The request is built the way botocore's S3 client builds it: the key is
percent-encoded into the URL with botocore.utils.percent_encode (safe
'/~', as the REST serializer does for a greedy {Key+} label); the query
goes in as params, which botocore encodes and sorts itself; the clock is
pinned to the case's date.  Nothing is sent anywhere.

Usage: sigv4-botocore.py [FILE]   (standard input when no FILE)
"""
import datetime
import sys
import types

import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode


def read_cases(lines):
    """Yield (name, settings dict, query list, header list) per case."""
    case = None
    block = None
    for raw in lines:
        line = raw.rstrip('\n')
        if line.startswith('=== '):
            if case is not None:
                yield case
            case = {'name': line[4:], 'kv': {}, 'query': [], 'headers': []}
            block = None
            continue
        if line.startswith('--- '):
            block = line
            continue
        if case is None or block is not None or not line or line.startswith('#'):
            continue
        key, sep, value = line.partition(': ')
        if not sep:
            raise SystemExit('sigv4-botocore: bad line %r' % line)
        if key == 'query':
            name, _, val = value.partition('=')
            case['query'].append((name, val))
        elif key == 'header':
            name, _, val = value.partition(':')
            case['headers'].append((name, val))
        else:
            case['kv'][key] = value
    if case is not None:
        yield case


def pin_clock(amzdate):
    """Make botocore.auth's datetime.datetime.utcnow() return amzdate."""
    fixed = datetime.datetime.strptime(amzdate, '%Y%m%dT%H%M%SZ')

    class FixedDateTime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    botocore.auth.datetime = types.SimpleNamespace(
        datetime=FixedDateTime, timedelta=datetime.timedelta,
        timezone=datetime.timezone)


class RecordingS3SigV4Auth(S3SigV4Auth):
    """S3SigV4Auth, keeping the canonical request it signed."""

    canonical = None

    def canonical_request(self, request):
        self.canonical = super().canonical_request(request)
        return self.canonical


def sign(case):
    kv = case['kv']
    pin_clock(kv['date'])
    scheme = kv.get('scheme', 'https')
    url = '%s://%s%s' % (scheme, kv['host'],
                         percent_encode(kv['path'], safe='/~'))
    headers = dict(case['headers'])
    body = kv.get('body', '').encode('utf-8')
    request = AWSRequest(method=kv['method'], url=url, headers=headers,
                         data=body, params=case['query'])
    creds = Credentials(kv['access-key'], kv['secret-key'],
                        kv.get('session-token'))
    auth = RecordingS3SigV4Auth(creds, kv.get('service', 's3'), kv['region'])
    auth.add_auth(request)
    out = ['=== %s' % case['name'],
           'Authorization: %s' % request.headers['Authorization'],
           'x-amz-content-sha256: %s' % request.headers['X-Amz-Content-SHA256']]
    if 'X-Amz-Security-Token' in request.headers:
        out.append('x-amz-security-token: %s'
                   % request.headers['X-Amz-Security-Token'])
    out.append('--- canonical-request')
    out.append(auth.canonical)
    return '\n'.join(out) + '\n'


def main():
    src = open(sys.argv[1], encoding='utf-8') if len(sys.argv) > 1 else sys.stdin
    with src:
        for case in read_cases(src):
            sys.stdout.write(sign(case))


if __name__ == '__main__':
    main()
