"""testserver.py - what the HTTP test servers on 127.0.0.1 share
(ebs_server.py, s3sig_server.py): a quiet HTTP/1.1 handler whose reply()
sends a whole body with its length, and the start-up on a free port that
the port file names once the server listens.
"""
import http.server
import os


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    content_type = "application/octet-stream"   # reply()'s default

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", headers=(), ctype=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype or self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def listen(handler, queue):
    """A threading server on 127.0.0.1, a free port, QUEUE connections
    waiting at most."""
    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = queue
    return Server(("127.0.0.1", 0), handler)


def announce(srv, port_file):
    """Name srv's port in port_file, whole at once (written aside, then
    renamed into place): the test waits for it."""
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
