"""Where a daemon's notifications go in integration tests, each in a thread of the test
process: a real SMTP server (aiosmtpd) that can refuse for a while, and a small HTTP server
speaking a Twilio-style SMS API (form-encoded To/From/Body, Basic auth), since a hosted SMS
gateway cannot exist here."""
from __future__ import annotations

import base64
import json
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller


class Mailbox:
    """An SMTP server on 127.0.0.1:`port`. While `refusing`, every message is answered
    451 (try again later), as a busy or greylisting server does."""

    def __init__(self, port: int):
        self.refusing, self.refused = False, 0
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refusing:
                self.refused += 1
                return "451 4.3.0 mailbox busy, try again later"
            for rcpt in envelope.rcpt_tos:
                msg = message_from_bytes(envelope.original_content, policy=policy.default)
                msg["X-Envelope-To"] = rcpt
                self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["X-Envelope-To"] == address]

    def __enter__(self) -> "Mailbox":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class SmsGateway:
    """POST /2010-04-01/Accounts/<account>/Messages.json with Basic auth (account:token)
    and a form of To, From, Body: 201 with a message sid; 401 or 400 otherwise."""

    def __init__(self, port: int, account: str, token: str):
        self.account, self.received = account, []
        self.path = f"/2010-04-01/Accounts/{account}/Messages.json"
        self.authorization = "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != gateway.path:
                    return self._answer(404, {"code": 20404, "message": "not found"})
                if self.headers.get("Authorization") != gateway.authorization:
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                if self.headers.get("Content-Type") != "application/x-www-form-urlencoded" \
                        or not {"To", "From", "Body"} <= set(form):
                    return self._answer(400, {"code": 21604, "message": "To, From and Body "
                                                                        "are required"})
                gateway.received.append(form)
                self._answer(201, {"sid": f"SM{len(gateway.received):032d}",
                                   "status": "queued", "to": form["To"]})

            def _answer(self, status: int, doc: dict):
                raw = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{self.path}"

    def __enter__(self) -> "SmsGateway":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
