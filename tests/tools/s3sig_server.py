#!/usr/bin/python3
"""s3sig_server.py - a small S3 (GetObject, path-style) and IMDSv2 server
on 127.0.0.1 that checks every request's SigV4 signature with Debian's
python3-botocore (botocore.auth.S3SigV4Auth), so that signing is judged by
code that is not shadowsync's. Runs on Debian's /usr/bin/python3.

  s3sig_server.py --root DIR --port-file F --log L --keys KEYS.json
                  [--region R] [--imds-lifetime S] [--delay-ms MS]

S3: GET /BUCKET/KEY serves DIR/BUCKET/KEY with Range, ETag (MD5) and
If-Match (412 PreconditionFailed), as S3 does. Before that each request
must be signed as S3 wants, else an S3 error document:
  no or bad Authorization                 400 AuthorizationHeaderMalformed
  an unknown access key id                403 InvalidAccessKeyId
  a scope for another region              400 AuthorizationHeaderMalformed
                                              (with <Region>)
  host, x-amz-date, x-amz-content-sha256
  (and the token) not all signed          403 SignatureDoesNotMatch
  x-amz-content-sha256 not that of ""     400 XAmzContentSHA256Mismatch
  a key path not encoded as botocore
  encodes it (quote(key, safe='/~'))      400 InvalidURI
  a session token missing or wrong        403 InvalidToken
  credentials past their expiry           400 ExpiredToken
  botocore computes another signature     403 SignatureDoesNotMatch
KEYS.json: {"ACCESS_KEY_ID": {"secret": "...", "token": "..." or null}}.

IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds
required), then with X-aws-ec2-metadata-token: GET
/latest/meta-data/iam/security-credentials/ (the role name) and .../ROLE:
new credentials each time (ASIA...N, with a session token), expiring
--imds-lifetime seconds later; /latest/meta-data/placement/region.

Every request is logged as one JSON line to --log (no secrets in it).
"""
import argparse
import datetime
import email.utils
import hashlib
import json
import os
import secrets
import threading
import time
import urllib.parse

from botocore.auth import S3SigV4Auth

import sigcheck
import testserver

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ROLE = "shadowsync-test-role"
lock = threading.Lock()
args = None
keys = {}           # akid -> {"secret", "token", "expires" (epoch or None)}
imds_tokens = set()
issued = [0]


def log(entry):
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def s3_error(code, message, extra=""):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
            "<Message>%s</Message>%s<RequestId>0</RequestId></Error>"
            % (code, message, extra)).encode()


class Handler(testserver.Handler):
    content_type = "application/xml"

    # ---- IMDSv2 ----
    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.reply(404, b"", ctype="text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        log({"imds": "token", "ttl": ttl})
        if not ttl:
            return self.reply(400, b"missing ttl", ctype="text/plain")
        tok = "imds-" + secrets.token_hex(16)
        with lock:
            imds_tokens.add(tok)
        self.reply(200, tok.encode(), [("X-aws-ec2-metadata-token-ttl-seconds", ttl)],
                   "text/plain")

    def imds_get(self):
        tok = self.headers.get("X-aws-ec2-metadata-token")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if tok not in imds_tokens:
            log({"imds": "get", "path": self.path, "token_ok": False})
            return self.reply(401, b"", ctype="text/plain")
        if self.path == "/latest/meta-data/placement/region":
            log({"imds": "region"})
            return self.reply(200, args.region.encode(), ctype="text/plain")
        if self.path == prefix:
            log({"imds": "role"})
            return self.reply(200, ROLE.encode(), ctype="text/plain")
        if self.path != prefix + ROLE:
            return self.reply(404, b"", ctype="text/plain")
        with lock:
            issued[0] += 1
            n = issued[0]
            akid = "ASIAIMDSTEST%04d" % n
            k = {"secret": "imds-secret-%d-%s" % (n, secrets.token_hex(8)),
                 "token": "imds-session-token-%d-%s" % (n, secrets.token_hex(24)),
                 "expires": time.time() + args.imds_lifetime}
            keys[akid] = k
        log({"imds": "credentials", "akid": akid})
        exp = datetime.datetime.utcfromtimestamp(k["expires"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"Code": "Success", "LastUpdated": exp, "Type": "AWS-HMAC",
                           "AccessKeyId": akid, "SecretAccessKey": k["secret"],
                           "Token": k["token"], "Expiration": exp})
        self.reply(200, body.encode(), ctype="text/plain")

    # ---- S3 ----
    def check_auth(self, raw_path):
        """None when the request is signed right, else (status, code, extra)."""
        def content_sha256():
            if self.headers.get("x-amz-content-sha256") != EMPTY_SHA256:
                return "content-sha256"
            return None

        def expiry_and_uri(k):
            if k["expires"] and time.time() > k["expires"]:
                return "expired"
            path = urllib.parse.urlsplit(raw_path).path
            if urllib.parse.quote(urllib.parse.unquote(path), safe="/~") != path:
                return "uri"
            return None

        c = sigcheck.check(self.headers, self.command, raw_path, keys, lock, args.region, "s3",
                           S3SigV4Auth, ["host", "x-amz-date", "x-amz-content-sha256"],
                           content_sha256, expiry_and_uri)
        if c.akid is not None:
            self.entry["akid"] = c.akid
            self.entry["signed_headers"] = c.signed_headers
        return {
            None: None,
            "malformed": (400, "AuthorizationHeaderMalformed", ""),
            "unknown-key": (403, "InvalidAccessKeyId", ""),
            "scope": (400, "AuthorizationHeaderMalformed", "<Region>%s</Region>" % args.region),
            "date": (403, "SignatureDoesNotMatch", ""),
            "skew": (403, "RequestTimeTooSkewed", ""),
            "content-sha256": (400, "XAmzContentSHA256Mismatch", ""),
            "unsigned": (403, "SignatureDoesNotMatch", ""),
            "token": (403, "InvalidToken", ""),
            "expired": (400, "ExpiredToken", ""),
            "uri": (400, "InvalidURI", ""),
            "signature": (403, "SignatureDoesNotMatch", ""),
        }[c.reason]

    def do_GET(self):
        if self.path.startswith("/latest/"):
            return self.imds_get()
        if args.delay_ms:
            time.sleep(args.delay_ms / 1000.0)
        raw = self.path
        self.entry = {"path": urllib.parse.urlsplit(raw).path,
                      "range": self.headers.get("Range"),
                      "if_match": self.headers.get("If-Match"),
                      "token": bool(self.headers.get("x-amz-security-token"))}
        bad = self.check_auth(raw)
        self.entry["error"] = bad[1] if bad else None
        log(self.entry)
        if bad:
            return self.reply(bad[0], s3_error(bad[1], "rejected by the test server", bad[2]))
        parts = urllib.parse.unquote(urllib.parse.urlsplit(raw).path).lstrip("/").split("/", 1)
        fpath = os.path.join(args.root, *parts) if len(parts) == 2 else None
        if not fpath or ".." in parts[1].split("/") or not os.path.isfile(fpath):
            code = "NoSuchBucket" if not os.path.isdir(os.path.join(args.root, parts[0])) \
                else "NoSuchKey"
            return self.reply(404, s3_error(code, "not here"))
        with open(fpath, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.md5(data).hexdigest()
        im = self.headers.get("If-Match")
        if im and im != etag:
            return self.reply(412, s3_error("PreconditionFailed", "If-Match"))
        first, last, status = 0, len(data) - 1, 200
        rng = self.headers.get("Range")
        hdrs = [("ETag", etag), ("Accept-Ranges", "bytes"),
                ("Last-Modified", email.utils.formatdate(os.path.getmtime(fpath), usegmt=True))]
        if rng:
            a, b = rng.split("=", 1)[1].split("-")
            first, last, status = int(a), min(int(b), len(data) - 1), 206
            if first >= len(data):
                return self.reply(416, s3_error("InvalidRange", "range"),
                                  [("Content-Range", "bytes */%d" % len(data))])
            hdrs.append(("Content-Range", "bytes %d-%d/%d" % (first, last, len(data))))
        self.reply(status, data[first:last + 1], hdrs, "application/octet-stream")


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--region", default="eu-west-3")
    ap.add_argument("--imds-lifetime", type=float, default=6 * 3600)
    ap.add_argument("--delay-ms", type=float, default=0)
    args = ap.parse_args()
    with open(args.keys) as f:
        for akid, k in json.load(f).items():
            keys[akid] = {"secret": k["secret"], "token": k.get("token"), "expires": None}
    srv = testserver.listen(Handler, 128)
    testserver.announce(srv, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
