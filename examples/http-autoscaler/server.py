#!/usr/bin/env python3
"""User logic of the http-autoscaler example as a small web service (Python standard library).

GET  /metric?value=<url-encoded JSON>  (parameterMode: query) -> the target's `numPods` label
POST /evaluate  with the JSON as body (parameterMode: body)   -> {"targetReplicas": N}

Usage: server.py [--host 0.0.0.0] [--port 5000]. In a cluster it runs as the Service
`flask-metric-service` the config names; locally, point the config's URLs at it.
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/metric":
            return self.reply(404, '{"error": "not found"}')
        spec = json.loads(parse_qs(url.query)["value"][0])
        labels = spec["resource"].get("metadata", {}).get("labels", {}) or {}
        if "numPods" not in labels:
            return self.reply(400, '{"error": "the target has no numPods label"}')
        return self.reply(200, labels["numPods"])

    def do_POST(self):
        if urlparse(self.path).path != "/evaluate":
            return self.reply(404, '{"error": "not found"}')
        length = int(self.headers.get("Content-Length", "0"))
        spec = json.loads(self.rfile.read(length))
        try:
            replicas = int(spec["metrics"][0]["value"])
        except ValueError:
            return self.reply(400, '{"error": "metric is not a whole number"}')
        return self.reply(200, json.dumps({"targetReplicas": replicas}))

    def log_message(self, fmt, *args):  # quiet: one line per request is noise here
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--port-file", help="write the bound port here (with --port 0)")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
