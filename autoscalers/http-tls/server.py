#!/usr/bin/env python3
"""User logic of the http-tls example: a small HTTPS web service (Python standard library).

POST /metric    body {"resource": <the target>, ...}  -> {"load": <the target's load label>}
POST /evaluate  body {"metrics": [...], ...}          -> {"targetReplicas": ceil(load / PER)}

It serves only HTTPS (--cert, --key) and answers 401 to a request without
`Authorization: Bearer <token>` (the token from --token-file). PER is LOAD_PER_REPLICA (100).
Usage: server.py --cert tls.crt --key tls.key --token-file token [--host 0.0.0.0] [--port 8443]
                 [--port-file FILE]   (--port 0 picks a free port, written to --port-file)
"""
import argparse
import hmac
import json
import math
import os
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOAD_LABEL = "example.com/load"


class Handler(BaseHTTPRequestHandler):
    token = ""

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return self.reply(401, {"error": "missing or wrong bearer token"})
        length = int(self.headers.get("Content-Length", "0"))
        try:
            spec = json.loads(self.rfile.read(length))
        except ValueError:
            return self.reply(400, {"error": "the body is not JSON"})
        if self.path == "/metric":
            labels = spec["resource"].get("metadata", {}).get("labels") or {}
            load = labels.get(LOAD_LABEL, "")
            if not load.isdigit():
                return self.reply(422, {"error": f"label {LOAD_LABEL} is '{load}', not a number"})
            return self.reply(200, {"load": int(load)})
        if self.path == "/evaluate":
            per = int(os.environ.get("LOAD_PER_REPLICA", "100"))
            load = json.loads(spec["metrics"][0]["value"])["load"]
            return self.reply(200, {"targetReplicas": math.ceil(load / per)})
        return self.reply(404, {"error": "not found"})

    def log_message(self, fmt, *args):  # one line per request on stderr
        super().log_message(fmt, *args)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--port-file")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token-file", required=True)
    a = p.parse_args()
    with open(a.token_file, encoding="utf-8") as f:
        Handler.token = f.read().strip()
    server = ThreadingHTTPServer((a.host, a.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(a.cert, a.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    if a.port_file:
        with open(a.port_file + ".tmp", "w", encoding="utf-8") as f:
            f.write(str(server.server_address[1]))
        os.replace(a.port_file + ".tmp", a.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
