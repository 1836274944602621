#!/usr/bin/python3
"""The lab's `network` endpoint for Nova: the smallest honest answer to the lookups Nova makes for servers
created with `--nic none` (port and security-group listings on show/list/delete, the extension list).

Every collection is empty because the lab has no networks: GET /v2.0/<collection> answers {"<collection>": []},
GET / and /v2.0 answer version documents, anything else (a single resource, a write) answers 404/405 in Neutron's
error shape. It checks no token: it holds nothing. Debian's neutron-server was tried first and answered
`GET /v2.0/ports` with HTTP 500 (AttributeError: type object 'Port' has no attribute 'port_forwardings') on this
machine — see test/lab/README-openstack.md.
Usage: network-endpoint.py ADDRESS PORT
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADDR, PORT = sys.argv[1], int(sys.argv[2])
VERSION = {"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": f"http://{ADDR}:{PORT}/v2.0/"}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "switchyard-lab-network/1"

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def error(self, code, kind, msg):
        self.reply(code, {"NeutronError": {"type": kind, "message": msg, "detail": ""}})

    def do_GET(self):  # noqa: N802 (http.server API)
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "":
            return self.reply(200, {"versions": [VERSION]})
        if path == "/v2.0":
            return self.reply(200, {"resources": []})
        m = re.fullmatch(r"/v2\.0/([a-z][a-z0-9_-]*)(?:\.json)?", path)
        if m:
            return self.reply(200, {m.group(1).replace("-", "_"): []})
        return self.error(404, "HTTPNotFound", "The resource could not be found (the lab has no networks).")

    def do_POST(self):  # noqa: N802
        self.error(405, "HTTPMethodNotAllowed", "The lab's network endpoint is read-only.")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


ThreadingHTTPServer((ADDR, PORT), Handler).serve_forever()
