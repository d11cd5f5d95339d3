#!/usr/bin/python3
"""ebs_server.py - a small EBS direct API server on 127.0.0.1 for the
tests and benchmarks of ebs:// sources: ListSnapshotBlocks,
ListChangedBlocks and GetSnapshotBlock, as the service's REST-JSON
protocol has them (botocore's model of "ebs" 2019-11-02), every request's
SigV4 signature checked with Debian's python3-botocore (SigV4Auth,
service "ebs"), so that signing is judged by code that is not
shadowsync's. Runs on Debian's /usr/bin/python3.

  ebs_server.py --port-file F --log L --keys KEYS.json --snapshots SNAPS.json
                [--region R] [--page-max N] [--get-delay-ms MS]
                [--list-delay-ms MS] [--max-rps N] [--token-ttl S]
                [--page-token-ttl S] [--empty-pages] [--no-log]
                [--workers N]

SNAPS.json: {"snap-ID": {"image": PATH, "volume_gib": N,
             "blocks": [INDEX, ...] or null (the image's non-zero blocks),
             "parent": "snap-ID" or null, "state": "completed" | "pending",
             "denied": false}}
A block not listed is not in the snapshot (as an encrypted snapshot's
unwritten blocks: they do not read as zeros here, they cannot be read at
all). Blocks are 512 KiB; the image may be shorter than the volume.

Tokens (block and page) are opaque, hold '+', '/' and '=', carry a MAC,
the snapshot, the block (or where the page goes on), a generation and
when they were issued: a token of another snapshot or block, forged,
older than --token-ttl / --page-token-ttl, or of an expired generation
is ValidationException INVALID_BLOCK_TOKEN / INVALID_PAGE_TOKEN.
--page-max caps a page below MaxResults (pagination on small images);
--empty-pages makes every other ListChangedBlocks page empty (with a
NextToken), as the service may. --max-rps caps GetSnapshotBlock per
snapshot (RequestThrottledException RESOURCE_LEVEL_THROTTLE beyond).

--workers N (benchmarks): N processes serve the one listening socket, so
that Python's lock and this server's CPU do not cap what a client gets on
a machine of several CPUs. They share the --max-rps buckets and the
counters (shared memory); every request is still signature-checked and
delayed. Faults need one worker (POST /_ctl/faults is refused with more).
Block bodies go out with sendfile(2) from the image (page cache, no copy
through Python), their checksums computed once at start.

Errors as the service words them: x-amzn-ErrorType and a JSON body
{"message", "Reason"}:
  unsigned / malformed Authorization   403 MissingAuthenticationTokenException
  an unknown access key id             403 UnrecognizedClientException
  a scope of another region            403 InvalidSignatureException
                                           ("Credential should be scoped to a
                                           valid region")
  host, x-amz-date (and the session
  token) not all signed, a signature
  botocore does not compute            403 InvalidSignatureException
  a wrong session token                403 UnrecognizedClientException
  an unknown snapshot, or pending      404 ResourceNotFoundException
                                           SNAPSHOT_NOT_FOUND
  "denied": true                       403 AccessDeniedException
                                           UNAUTHORIZED_ACCOUNT
  unrelated snapshots                  400 ValidationException
                                           UNRELATED_SNAPSHOTS

Faults on demand (unsigned, 127.0.0.1 only): POST /_ctl/faults with a
JSON list of {"op": "get" | "list" | "changed" | "any", "kind": K,
"count": N, "after": M, "ms": MS}: the M+1-th to M+N-th matching
requests get fault K:
  429        429 ThrottlingException
  503        503 ServiceUnavailableException
  throttle   400 RequestThrottledException ACCOUNT_THROTTLED
  500        500 InternalServerException
  badsum     200, one byte of the data flipped (the checksum is the
             block's own)
  short      200 with half the block (Content-Length says half,
             x-amz-Data-Length the whole)
  cut        the connection closed half-way through the body
  expired    every token issued so far expires (its generation), and
             this request is refused for it (list: only requests that
             carry a pageToken match)
  slow       the answer waits MS milliseconds first
GET /_ctl/stats: counters. Every request is logged as one JSON line to
--log (no secret, no signature, no token in it).
"""
import argparse
import base64
import ctypes
import hashlib
import hmac
import json
import multiprocessing
import os
import secrets
import signal
import socket
import threading
import time
import urllib.parse

from botocore.auth import SigV4Auth

import sigcheck
import testserver

BLOCK = 512 * 1024
ZERO = bytes(BLOCK)
MAC_KEY = secrets.token_bytes(32)
lock = threading.Lock()
args = None
keys = {}
snaps = {}
faults = []
STATS = ("requests", "get", "list", "changed", "rejected", "faults", "throttled_by_cap")
# shared by the workers (made before they fork): counters, and per
# snapshot a GetSnapshotBlock bucket (tokens, when last filled)
plock = multiprocessing.Lock()
shared_stats = multiprocessing.RawArray("q", len(STATS))
buckets = {}
gen = {"block": 0, "page": 0}
image_sums = {}
logf = None


def count(name, n=1):
    with plock:
        shared_stats[STATS.index(name)] += n


def stats_now():
    with plock:
        return {name: shared_stats[i] for i, name in enumerate(STATS)}


def log(entry):
    if args.no_log:
        return
    with lock:
        logf.write(json.dumps(entry) + "\n")
        logf.flush()


class Snapshot:
    def __init__(self, sid, conf):
        self.sid = sid
        self.volume_gib = conf["volume_gib"]
        self.nblocks = (self.volume_gib << 30) // BLOCK
        self.parent = conf.get("parent")
        self.state = conf.get("state", "completed")
        self.denied = conf.get("denied", False)
        self.fd = os.open(conf["image"], os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        # snapshots of one image share its blocks' checksums
        self.sums = image_sums.setdefault(os.path.realpath(conf["image"]), {})
        if conf.get("blocks") is None:
            listed = []
            for i in range((self.size + BLOCK - 1) // BLOCK):
                data = self.raw(i)
                if data != ZERO:
                    listed.append(i)
                    if i not in self.sums:
                        self.sums[i] = base64.b64encode(hashlib.sha256(data).digest()).decode()
        else:
            listed = sorted(set(conf["blocks"]))
        assert all(0 <= i < self.nblocks for i in listed), sid
        self.listed = listed
        self.listed_set = set(listed)
        for i in listed:
            self.digest(i)

    def raw(self, i):
        data = os.pread(self.fd, BLOCK, i * BLOCK)
        return data + bytes(BLOCK - len(data))

    def block(self, i):
        data = self.raw(i)
        with lock:
            s = self.sums.get(i)
        if s is None:
            s = base64.b64encode(hashlib.sha256(data).digest()).decode()
            with lock:
                self.sums[i] = s
        return data, s

    def digest(self, i):
        with lock:
            s = self.sums.get(i)
        return s if s is not None else self.block(i)[1]


def make_token(kind, *fields):
    payload = "|".join([kind] + [str(f) for f in fields] + [str(int(time.time()))])
    mac = hmac.new(MAC_KEY, payload.encode(), hashlib.sha256).digest()[:12]
    raw = mac + payload.encode()
    raw += b"\0" * ((3 - (len(raw) + 1) % 3) % 3 + 1)  # ends with "=" or "=="
    return "Tk+/" + base64.b64encode(raw).decode()


def read_token(tok, kind, ttl):
    """The fields of a valid token of kind, else None."""
    try:
        if not tok.startswith("Tk+/"):
            return None
        raw = base64.b64decode(tok[4:], validate=True).rstrip(b"\0")
        mac, payload = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(MAC_KEY, payload, hashlib.sha256).digest()[:12]):
            return None
        fields = payload.decode().split("|")
        if fields[0] != kind or time.time() - int(fields[-1]) > ttl:
            return None
        return fields[1:-1]
    except Exception:
        return None


def take_fault(op, has_page_token):
    with lock:
        for f in faults:
            if f["op"] not in (op, "any"):
                continue
            if op in ("list", "changed") and f["kind"] == "expired" and not has_page_token:
                continue
            if f["after"] > 0:
                f["after"] -= 1
                continue
            if f["count"] <= 0:
                continue
            f["count"] -= 1
            count("faults")
            return f
    return None


def over_cap(sid):
    """A tenth of a second's worth may come at once, then --max-rps."""
    if not args.max_rps:
        return False
    now = time.monotonic()
    b = buckets[sid]
    with plock:
        if b[1] == 0:
            b[0], b[1] = args.max_rps / 10.0, now
        b[0] = min(args.max_rps / 10.0, b[0] + (now - b[1]) * args.max_rps)
        b[1] = now
        if b[0] < 1:
            shared_stats[STATS.index("throttled_by_cap")] += 1
            return True
        b[0] -= 1
    return False


class Handler(testserver.Handler):
    disable_nagle_algorithm = True
    content_type = "application/json"

    def error(self, status, etype, message, reason=None):
        self.entry["status"] = status
        self.entry["error"] = etype + (":" + reason if reason else "")
        log(self.entry)
        body = {"message": message}
        if reason:
            body["Reason"] = reason
        self.reply(status, json.dumps(body).encode(), [("x-amzn-ErrorType", etype)])

    def check_auth(self, raw):
        """None when the request is signed right, else (status, type, message)."""
        c = sigcheck.check(self.headers, "GET", raw, keys, lock, args.region, "ebs", SigV4Auth,
                           ["host", "x-amz-date"])
        if c.akid is not None:
            self.entry["akid"] = c.akid
        bad_token = (403, "UnrecognizedClientException",
                     "The security token included in the request is invalid.")
        return {
            None: None,
            "malformed": (403, "MissingAuthenticationTokenException",
                          "Missing Authentication Token"),
            "unknown-key": bad_token,
            "scope": (403, "InvalidSignatureException",
                      "Credential should be scoped to a valid region, not '%s'." % c.region),
            "date": (403, "InvalidSignatureException", "Date in Credential scope does not match."),
            "skew": (403, "InvalidSignatureException", "Signature expired"),
            "unsigned": (403, "InvalidSignatureException", "Not every header is signed."),
            "token": bad_token,
            "signature": (403, "InvalidSignatureException", "The request signature we calculated "
                          "does not match the signature you provided."),
        }[c.reason]

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path != "/_ctl/faults":
            return self.reply(404)
        if args.workers > 1:
            return self.reply(409, b'{"message": "faults need --workers 1"}')
        new = json.loads(body)
        with lock:
            for f in new:
                faults.append({"op": f.get("op", "any"), "kind": f["kind"],
                               "count": f.get("count", 1), "after": f.get("after", 0),
                               "ms": f.get("ms", 0)})
        self.reply(200, b"{}")

    def do_GET(self):
        raw = self.path
        url = urllib.parse.urlsplit(raw)
        if url.path == "/_ctl/stats":
            with lock:
                body = dict(stats_now(), faults_left=sum(f["count"] for f in faults))
            return self.reply(200, json.dumps(body).encode())
        q = {}
        for part in url.query.split("&") if url.query else []:
            name, _, value = part.partition("=")
            q[name] = urllib.parse.unquote(value)
        self.entry = {"t": round(time.time(), 4), "path": url.path}
        count("requests")
        parts = url.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "snapshots" and parts[2] == "blocks":
            op = "list"
        elif len(parts) == 3 and parts[0] == "snapshots" and parts[2] == "changedblocks":
            op = "changed"
        elif len(parts) == 4 and parts[0] == "snapshots" and parts[2] == "blocks":
            op = "get"
        else:
            self.entry["op"] = "?"
            return self.error(404, "ResourceNotFoundException", "no such operation")
        self.entry["op"] = op
        self.entry["snap"] = parts[1]
        count(op)
        bad = self.check_auth(raw)
        if bad:
            count("rejected")
            return self.error(bad[0], bad[1], bad[2])
        # the query must be encoded as SigV4 encodes it (botocore checked
        # the signature over the string as sent)
        for part in url.query.split("&") if url.query else []:
            name, _, value = part.partition("=")
            if urllib.parse.quote(urllib.parse.unquote(value), safe="-_.~") != value:
                return self.error(400, "ValidationException", "bad query encoding",
                                  "INVALID_PARAMETER_VALUE")
        snap = snaps.get(parts[1])
        if not snap or snap.state != "completed":
            return self.error(404, "ResourceNotFoundException",
                              "The snapshot '%s' does not exist." % parts[1], "SNAPSHOT_NOT_FOUND")
        if snap.denied:
            return self.error(403, "AccessDeniedException", "not authorized",
                              "UNAUTHORIZED_ACCOUNT")
        fault = take_fault(op, "pageToken" in q)
        if fault:
            self.entry["fault"] = fault["kind"]
            if fault["kind"] == "slow":
                time.sleep(fault["ms"] / 1000.0)
            elif fault["kind"] == "429":
                return self.error(429, "ThrottlingException", "Rate exceeded")
            elif fault["kind"] == "503":
                return self.error(503, "ServiceUnavailableException", "Service unavailable")
            elif fault["kind"] == "throttle":
                return self.error(400, "RequestThrottledException", "throttled",
                                  "ACCOUNT_THROTTLED")
            elif fault["kind"] == "500":
                return self.error(500, "InternalServerException", "internal error")
            elif fault["kind"] == "expired":
                with lock:
                    gen["block" if op == "get" else "page"] += 1
        if op == "get":
            return self.get_block(snap, parts[3], q, fault)
        return self.list_blocks(snap, op, q)

    def list_blocks(self, snap, op, q):
        if args.list_delay_ms:
            time.sleep(args.list_delay_ms / 1000.0)
        try:
            maxr = int(q.get("maxResults", "10000"))
            start = int(q.get("startingBlockIndex", "0"))
        except ValueError:
            return self.error(400, "ValidationException", "bad number", "INVALID_PARAMETER_VALUE")
        if not 100 <= maxr <= 10000 or start < 0:
            return self.error(400, "ValidationException", "MaxResults", "INVALID_PARAMETER_VALUE")
        first = None
        if op == "changed":
            first = snaps.get(q.get("firstSnapshotId", ""))
            if not first or first.state != "completed":
                return self.error(404, "ResourceNotFoundException", "first snapshot",
                                  "SNAPSHOT_NOT_FOUND")
            s, related = snap, False
            while s is not None:
                if s.sid == first.sid:
                    related = True
                s = snaps.get(s.parent) if s.parent else None
            if not related or first.sid == snap.sid:
                return self.error(400, "ValidationException", "unrelated", "UNRELATED_SNAPSHOTS")
        npage = 0
        if "pageToken" in q:
            f = read_token(q["pageToken"], "P", args.page_token_ttl)
            with lock:
                g = gen["page"]
            if (not f or f[0] != snap.sid or f[1] != op or f[2] != (first.sid if first else "")
                    or int(f[5]) < g):
                return self.error(400, "ValidationException", "The page token is invalid or expired.",
                                  "INVALID_PAGE_TOKEN")
            start, npage = int(f[3]), int(f[4]) + 1
        self.entry.update({"start": start, "page_token": "pageToken" in q})
        size = min(maxr, args.page_max) if args.page_max else maxr
        now = time.time()
        with lock:
            g = gen["block"]
        out = []
        if op == "list":
            cands = [i for i in snap.listed if i >= start]
        else:
            union = sorted(snap.listed_set | first.listed_set)
            cands = [i for i in union if i >= start and
                     (i not in snap.listed_set or i not in first.listed_set or
                      snap.digest(i) != first.digest(i))]
        empty = op == "changed" and args.empty_pages and npage % 2 == 0
        if not empty:
            for i in cands[:size]:
                if op == "list":
                    out.append({"BlockIndex": i, "BlockToken": make_token("B", snap.sid, i, g)})
                else:
                    e = {"BlockIndex": i}
                    if i in first.listed_set:
                        e["FirstBlockToken"] = make_token("B", first.sid, i, g)
                    if i in snap.listed_set:
                        e["SecondBlockToken"] = make_token("B", snap.sid, i, g)
                    out.append(e)
        body = {"BlockSize": BLOCK, "VolumeSize": snap.volume_gib,
                "ExpiryTime": now + args.token_ttl,
                "Blocks" if op == "list" else "ChangedBlocks": out}
        more = len(cands) > len(out)
        if more:
            nxt = out[-1]["BlockIndex"] + 1 if out else start
            with lock:
                pg = gen["page"]
            body["NextToken"] = make_token("P", snap.sid, op, first.sid if first else "",
                                           nxt, npage, pg)
        self.entry.update({"status": 200, "count": len(out), "next": more})
        log(self.entry)
        self.reply(200, json.dumps(body).encode())

    def get_block(self, snap, idx, q, fault):
        if args.get_delay_ms:
            time.sleep(args.get_delay_ms / 1000.0)
        try:
            i = int(idx)
        except ValueError:
            return self.error(400, "ValidationException", "index", "INVALID_BLOCK")
        self.entry["idx"] = i
        f = read_token(q.get("blockToken", ""), "B", args.token_ttl)
        with lock:
            g = gen["block"]
        if (fault and fault["kind"] == "expired") or not f or f[0] != snap.sid or \
                int(f[1]) != i or int(f[2]) < g:
            return self.error(400, "ValidationException", "The block token is invalid or expired.",
                              "INVALID_BLOCK_TOKEN")
        if i not in snap.listed_set:
            return self.error(400, "ValidationException", "not in the snapshot", "INVALID_BLOCK")
        if over_cap(snap.sid):
            return self.error(400, "RequestThrottledException", "throttled",
                              "RESOURCE_LEVEL_THROTTLE")
        kind = fault["kind"] if fault else None
        if kind is None and (i + 1) * BLOCK <= snap.size:
            data, s = None, snap.digest(i)
        else:
            data, s = snap.block(i)
        if kind == "badsum":
            data = bytes([data[0] ^ 0xff]) + data[1:]
        hdrs = [("x-amz-Checksum", s), ("x-amz-Checksum-Algorithm", "SHA256"),
                ("x-amz-Data-Length", str(BLOCK))]
        self.entry["status"] = 200
        log(self.entry)
        if kind == "short":
            return self.reply(200, data[:BLOCK // 2], hdrs, "application/octet-stream")
        if kind == "cut":
            self.send_response(200)
            for k, v in hdrs:
                self.send_header(k, v)
            self.send_header("Content-Length", str(BLOCK))
            self.end_headers()
            self.wfile.write(data[:BLOCK // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if kind is None and (i + 1) * BLOCK <= snap.size:
            return self.send_block(snap, i, hdrs)
        self.reply(200, data, hdrs, "application/octet-stream")

    def send_block(self, snap, i, hdrs):
        """The block from the image's page cache with sendfile(2), corked
        with its headers into full segments."""
        sock = self.connection
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        try:
            self.send_response(200)
            for k, v in hdrs:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(BLOCK))
            self.end_headers()
            off, left = i * BLOCK, BLOCK
            while left:
                n = os.sendfile(sock.fileno(), snap.fd, off, left)
                if n <= 0:
                    raise ConnectionError("sendfile sent nothing")
                off += n
                left -= n
        finally:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


def main():
    global args, logf
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--snapshots", required=True)
    ap.add_argument("--region", default="eu-west-3")
    ap.add_argument("--page-max", type=int, default=0)
    ap.add_argument("--get-delay-ms", type=float, default=0)
    ap.add_argument("--list-delay-ms", type=float, default=0)
    ap.add_argument("--max-rps", type=float, default=0)
    ap.add_argument("--token-ttl", type=float, default=7 * 24 * 3600)
    ap.add_argument("--page-token-ttl", type=float, default=3600)
    ap.add_argument("--empty-pages", action="store_true")
    ap.add_argument("--no-log", action="store_true")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    logf = open(args.log, "a")
    with open(args.keys) as f:
        for akid, k in json.load(f).items():
            keys[akid] = {"secret": k["secret"], "token": k.get("token")}
    with open(args.snapshots) as f:
        for sid, conf in json.load(f).items():
            snaps[sid] = Snapshot(sid, conf)
            buckets[sid] = multiprocessing.RawArray("d", 2)
    srv = testserver.listen(Handler, 256)
    children = []
    for _ in range(args.workers - 1):
        pid = os.fork()
        if pid == 0:
            # a worker goes with the first process, however it ends
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:
                os._exit(0)
            srv.serve_forever()
            os._exit(0)
        children.append(pid)

    def stop(signum, frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    testserver.announce(srv, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
