#!/usr/bin/python3
"""faulty_http.py - an HTTP/1.1 server on 127.0.0.1 that serves one file
with Range, ETag, Last-Modified, If-Match and If-Unmodified-Since, and
misbehaves on purpose, for the remote source tests (python3 stdlib only).

  faulty_http.py --file IMG --port-file F --log L [--faults SPEC]
                 [--stall-s S] [--replace-after N]

Paths (any query string is accepted and logged, as a presigned URL's):
  /img             the file; part requests (all but the first, bytes=0-0)
                   take the faults of SPEC in turn, "drop:2,reset:1,503:2,
                   429:1,stall:1,stallhead:1": drop = half the body then a
                   clean close, reset = half the body then a TCP RST,
                   stall = half the body then silence for --stall-s,
                   stallhead = no answer for --stall-s, 503/429 = that
                   status (429 with Retry-After: 1)
  /always503       503 to everything
  /forbidden       403;  anything unknown: 404
  /norange         200 with the whole file, Range ignored
  /replaced        the object changes after --replace-after part requests
                   to this path
                   (new ETag, new bytes); If-Match is honoured (412)
  /replaced-noif   the same, but If-Match is ignored: a 206 of the new
                   version with its new ETag
  /noetag-replaced no ETag at all, Last-Modified only; If-Unmodified-Since
                   is honoured (412)
  /etag-dropped    replaced as /replaced, but the new version's answers
                   carry no ETag (Last-Modified only) and If-Match is
                   ignored
  /noval-replaced  replaced as /replaced, and no answer carries an ETag
                   or a Last-Modified: a change cannot be seen
  /slow            the body trickles (16 KiB every 100 ms)
  /trickle         the first part request's body comes a byte every 1.5 s
                   (never a silence as long as a stall timeout of 2 s, but
                   no progress either); the others are served at once
  /trickle-all     every part request's body comes a byte every 1.5 s
  /hugetotal       a 206 whose Content-Range total is past 2^64 - 1
  /dribble         every part request gets the first 1 KiB of its range,
                   then a clean close (a trickle across connections)
Every request is logged as one JSON line to --log.
"""
import argparse
import email.utils
import http.server
import json
import os
import socket
import struct
import threading
import time

lock = threading.Lock()
state = {"parts": {}, "faults": []}
args = None


def log(entry):
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_simple(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def version(self, path):
        """(etag or None, last_modified, bytes) of the object now."""
        data = DATA
        base = BASE_MTIME
        replaced = path in ("/replaced", "/replaced-noif", "/noetag-replaced",
                            "/etag-dropped", "/noval-replaced")
        with lock:
            parts = state["parts"].get(path, 0)
        v = 1
        if replaced and parts > args.replace_after:
            v = 2
            data = DATA2
            base += 3600
        etag = None if path in ("/noetag-replaced", "/noval-replaced") \
            else '"v%d-%x"' % (v, len(data))
        lastmod = None if path == "/noval-replaced" \
            else email.utils.formatdate(base, usegmt=True)
        return etag, lastmod, data

    def do_GET(self):
        path, _, query = self.path.partition("?")
        rng = self.headers.get("Range")
        entry = {"path": path, "query": bool(query), "range": rng,
                 "if_match": self.headers.get("If-Match"),
                 "if_unmodified_since": self.headers.get("If-Unmodified-Since")}
        probe = rng == "bytes=0-0"
        fault = None
        nth = 0		# this part request's number, for its path
        if rng and not probe:
            with lock:
                state["parts"][path] = state["parts"].get(path, 0) + 1
                nth = state["parts"][path]
                if path == "/img" and state["faults"]:
                    fault = state["faults"].pop(0)
        entry["fault"] = fault
        log(entry)
        if path == "/always503":
            return self.send_simple(503, b"busy")
        if path == "/hugetotal":
            return self.send_simple(206, b"x", [
                ("Content-Range", "bytes 0-0/99999999999999999999999")])
        if path == "/forbidden":
            return self.send_simple(403, b"<Error><Code>AccessDenied</Code></Error>")
        if path not in ("/img", "/norange", "/replaced", "/replaced-noif",
                        "/noetag-replaced", "/slow", "/etag-dropped",
                        "/noval-replaced", "/trickle", "/trickle-all",
                        "/dribble"):
            return self.send_simple(404, b"not here")
        etag, lastmod, data = self.version(path)
        if fault == "503":
            return self.send_simple(503, b"try later")
        if fault == "429":
            return self.send_simple(429, b"slow down", [("Retry-After", "1")])
        if fault == "stallhead":
            time.sleep(args.stall_s)
            self.close_connection = True
            return
        im = self.headers.get("If-Match")
        if im and path not in ("/replaced-noif", "/etag-dropped") and etag \
                and im != etag:
            return self.send_simple(412, b"precondition failed")
        if path == "/etag-dropped" and etag and etag.startswith('"v2'):
            etag = None
        ius = self.headers.get("If-Unmodified-Since")
        if ius and lastmod and email.utils.parsedate_to_datetime(ius) < \
                email.utils.parsedate_to_datetime(lastmod):
            return self.send_simple(412, b"precondition failed")
        first, last, status = 0, len(data) - 1, 200
        if rng and path != "/norange":
            a, b = rng.split("=", 1)[1].split("-")
            first, last, status = int(a), min(int(b), len(data) - 1), 206
            if first >= len(data):
                return self.send_simple(416, b"", [("Content-Range", "bytes */%d" % len(data))])
        body = data[first:last + 1]
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if lastmod:
            self.send_header("Last-Modified", lastmod)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if fault in ("drop", "reset", "stall"):
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                if fault == "stall":
                    time.sleep(args.stall_s)
                elif fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if not probe and path == "/dribble":
                self.wfile.write(body[:1024])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if not probe and (path == "/trickle-all" or
                              (path == "/trickle" and nth == 1)):
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(1.5)
                return
            if path == "/slow":
                for i in range(0, len(body), 16384):
                    self.wfile.write(body[i:i + 16384])
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    global args, DATA, DATA2, BASE_MTIME
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--faults", default="")
    ap.add_argument("--stall-s", type=float, default=3.0)
    ap.add_argument("--replace-after", type=int, default=2)
    args = ap.parse_args()
    with open(args.file, "rb") as f:
        DATA = f.read()
    DATA2 = DATA.translate(bytes(i ^ 0x5A for i in range(256)))
    BASE_MTIME = int(time.time()) - 86400
    kinds = []
    for item in filter(None, args.faults.split(",")):
        k, n = item.split(":")
        kinds.append([k, int(n)])
    # interleave the kinds so that each shows up early and among others
    while any(n for _, n in kinds):
        for kn in kinds:
            if kn[1]:
                state["faults"].append(kn[0])
                kn[1] -= 1
    srv = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))

    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
