"""A minimal SIP user agent over UDP, for load: just enough of RFC 3261 to talk to Asterisk.

Why our own: pjsua2 allows a handful of accounts per process and costs milliseconds per
call; sipp cannot put the caller's INVITE and the phone's INVITE on one clock. Here the
carrier (UAC) and the staff phone (UAS) live in one asyncio loop, so ring-start is
`perf_counter()` when the caller's INVITE is sent vs when the phone reads its INVITE.

Deliberately small: UDP only, no forking, no media. The SDP offers a port of a socket that
is never read, so Asterisk's RTP (if any) is dropped by the kernel at no cost to us.
Retransmissions follow T1 = 500 ms doubling, as loopback can still drop under load.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import secrets
import socket
import time
from dataclasses import dataclass, field

T1 = 0.5
MAX_TRIES = 7  # 0.5 + 1 + 2 + 4 + 4 + 4 + 4 s: past 16 s a transaction has failed
_ids = itertools.count(1)


def _token() -> str:
    return secrets.token_hex(6)


class Msg:
    """A parsed SIP message: first line, headers (case-insensitive, in order), body."""

    def __init__(self, data: bytes):
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.first = lines[0]
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))
        parts = self.first.split(" ", 2)
        self.is_response = parts[0] == "SIP/2.0"
        self.status = int(parts[1]) if self.is_response else 0
        self.method = "" if self.is_response else parts[0]
        self.uri = "" if self.is_response else parts[1]

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.headers if k == name), default)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    @property
    def call_id(self) -> str:
        return self.get("call-id") or self.get("i")

    @property
    def cseq(self) -> tuple[int, str]:
        number, method = self.get("cseq").split()
        return int(number), method

    @property
    def from_user(self) -> str:
        m = re.search(r"sips?:([^@;>]+)@", self.get("from"))
        return m.group(1) if m else ""


def _tag(header: str) -> str:
    m = re.search(r";tag=([^;>\s]+)", header)
    return m.group(1) if m else ""


def _uri_in(header: str) -> str:
    m = re.search(r"<([^>]+)>", header)
    return m.group(1) if m else header.split(";")[0]


def _sdp(host: str, port: int) -> bytes:
    return (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n").encode()


def _build(first: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [first] + [f"{k}: {v}" for k, v in headers]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Socket(asyncio.DatagramProtocol):
    """One UDP socket; `handle` gets every message with the time it was read."""

    def __init__(self, handle):
        self.handle = handle
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        now = time.perf_counter()
        try:
            msg = Msg(data)
        except (ValueError, IndexError):
            return  # not SIP (a stray keep-alive): nothing to answer
        self.handle(msg, addr, now)

    def error_received(self, exc):
        pass  # ICMP unreachable from a peer that went away: the transaction times out


async def _bind(handle, host: str, port: int) -> tuple[_Socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Large buffers: thousands of calls' messages can burst in while the loop is busy.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    sock.bind((host, port))
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_datagram_endpoint(lambda: _Socket(handle), sock=sock)
    return proto, sock.getsockname()[1]


def _media_sink(host: str) -> tuple[socket.socket, int]:
    """The port every SDP offers: bound (no ICMP errors back to Asterisk), never read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    return sock, sock.getsockname()[1]


# -- the caller ----------------------------------------------------------------------------

@dataclass
class Call:
    number: str
    caller: str
    call_id: str = field(default_factory=lambda: f"bench-{next(_ids)}-{_token()}")
    tag: str = field(default_factory=_token)
    t_invite: float = 0.0  # perf_counter when the INVITE left
    t_ringing: float = 0.0  # 180 at the caller
    t_answer: float = 0.0  # 200 at the caller
    t_phone: float = 0.0  # INVITE read by the phone (set by Phone)
    t_end: float = 0.0
    status: int = 0  # final answer to the INVITE; 0 = none
    ok: bool = False
    resent: int = 0  # INVITE retransmissions: no answer at all within T1
    error: str = ""
    remote_to: str = ""
    remote_target: str = ""
    _final: asyncio.Future | None = None
    _bye: asyncio.Future | None = None
    _heard: bool = False  # any response: stop retransmitting the INVITE

    @property
    def ring_ms(self) -> float | None:
        return (self.t_phone - self.t_invite) * 1000 if self.t_phone else None

    @property
    def setup_ms(self) -> float | None:
        return (self.t_answer - self.t_invite) * 1000 if self.t_answer else None


class Caller:
    """The carrier: sends calls from its own loopback address to a trunk transport."""

    def __init__(self, host: str, port: int, proxy: tuple[str, int]):
        self.host, self.port, self.proxy = host, port, proxy
        self.calls: dict[str, Call] = {}
        self.sock: _Socket | None = None

    async def start(self) -> "Caller":
        self.sock, self.port = await _bind(self._on_message, self.host, self.port)
        self._sink, self.media_port = _media_sink(self.host)
        return self

    def close(self) -> None:
        if self.sock and self.sock.transport:
            self.sock.transport.close()
        self._sink.close()

    def _send(self, data: bytes) -> None:
        self.sock.transport.sendto(data, self.proxy)

    def _headers(self, c: Call, cseq: int, method: str, to: str) -> list[tuple[str, str]]:
        return [("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{_token()};rport"),
                ("Max-Forwards", "70"),
                ("From", f"<sip:{c.caller}@{self.host}>;tag={c.tag}"),
                ("To", to), ("Call-ID", c.call_id), ("CSeq", f"{cseq} {method}")]

    async def call(self, number: str, caller: str, hold_s: float, timeout_s: float = 15,
                   on_answer=None) -> Call:
        """One call: INVITE, wait for the answer, ACK, hold, BYE. `on_answer` (optional, a
        coroutine function) replaces the fixed hold: the call is released when it returns."""
        loop = asyncio.get_running_loop()
        c = Call(number, caller)
        c._final, c._bye = loop.create_future(), loop.create_future()
        self.calls[c.call_id] = c
        try:
            await self._invite(c, timeout_s)
            if c.status != 200:
                c.error = c.error or f"INVITE answered {c.status or 'never'}"
                return c
            if on_answer is not None:
                await on_answer(c)
            else:
                await asyncio.sleep(hold_s)
            if c._bye.done():  # Asterisk hung up first: a dropped call
                c.error = "hung up by Asterisk during the call"
                return c
            await self._hangup(c)
        except asyncio.CancelledError:
            c.error = "cancelled"
            raise
        finally:
            c.t_end = time.perf_counter()
            self.calls.pop(c.call_id, None)
        return c

    async def _invite(self, c: Call, timeout_s: float) -> None:
        to = f"<sip:{c.number}@{self.proxy[0]}>"
        uri = f"sip:{c.number}@{self.proxy[0]}:{self.proxy[1]}"
        headers = self._headers(c, 1, "INVITE", to)
        invite = _build(f"INVITE {uri} SIP/2.0",
                        headers + [("Contact", f"<sip:{c.caller}@{self.host}:{self.port}>")],
                        _sdp(self.host, self.media_port))
        c.t_invite = time.perf_counter()
        self._send(invite)
        delay = T1
        deadline = c.t_invite + timeout_s
        while not c._final.done():
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                c.error = f"no final answer to the INVITE within {timeout_s:.0f} s"
                if c._heard:  # Asterisk has it: CANCEL (same branch), so it cleans up
                    cancel = [(k, v) for k, v in headers if k != "CSeq"] + [("CSeq", "1 CANCEL")]
                    self._send(_build(f"CANCEL {uri} SIP/2.0", cancel))
                return
            try:
                await asyncio.wait_for(asyncio.shield(c._final), min(delay, remaining))
            except asyncio.TimeoutError:
                if not c._heard:
                    c.resent += 1
                    self._send(invite)
                    delay = min(delay * 2, 4)
        c.status = c._final.result()

    async def _hangup(self, c: Call) -> None:
        target = c.remote_target or f"sip:{c.number}@{self.proxy[0]}:{self.proxy[1]}"
        bye = _build(f"BYE {target} SIP/2.0", self._headers(c, 2, "BYE", c.remote_to))
        delay = T1
        for _ in range(MAX_TRIES):
            self._send(bye)
            try:
                status = await asyncio.wait_for(asyncio.shield(c._bye), delay)
                c.ok = status == 200
                if not c.ok:
                    c.error = "hung up by Asterisk" if status == -1 else f"BYE answered {status}"
                return
            except asyncio.TimeoutError:
                delay = min(delay * 2, 4)
        c.error = "BYE never answered"

    def _ack(self, c: Call, msg: Msg) -> None:
        target = _uri_in(msg.get("contact")) if msg.status == 200 else \
            f"sip:{c.number}@{self.proxy[0]}:{self.proxy[1]}"
        headers = self._headers(c, 1, "ACK", msg.get("to"))
        if msg.status != 200:  # a non-2xx ACK belongs to the INVITE's transaction
            headers[0] = ("Via", msg.get("via"))
        self._send(_build(f"ACK {target} SIP/2.0", headers))

    def _on_message(self, msg: Msg, addr, now: float) -> None:
        c = self.calls.get(msg.call_id)
        if not msg.is_response:
            self._on_request(msg, addr, c, now)
            return
        if c is None:
            return
        _, method = msg.cseq
        if method == "INVITE":
            c._heard = True
            if msg.status == 180 and not c.t_ringing:
                c.t_ringing = now
            if msg.status >= 200:
                if msg.status == 200 and not c.t_answer:
                    c.t_answer = now
                    c.remote_to = msg.get("to")
                    c.remote_target = _uri_in(msg.get("contact"))
                self._ack(c, msg)  # a retransmitted 200 gets its ACK again
                if not c._final.done():
                    c._final.set_result(msg.status)
        elif method == "BYE" and msg.status >= 200 and not c._bye.done():
            c._bye.set_result(msg.status)

    def _on_request(self, msg: Msg, addr, c: Call | None, now: float) -> None:
        if msg.method == "ACK":
            return
        if msg.method == "BYE" and c is not None and not c._bye.done():
            c._bye.set_result(-1)  # the far end hung up
        body = _sdp(self.host, self.media_port) if msg.method == "INVITE" else b""
        self.sock.transport.sendto(_response(msg, 200, "OK", _tag(msg.get("to")) or _token(),
                                             f"<sip:bench@{self.host}:{self.port}>", body), addr)


def _response(msg: Msg, status: int, reason: str, to_tag: str, contact: str | None,
              body: bytes = b"") -> bytes:
    to = msg.get("to")
    if to_tag and ";tag=" not in to:
        to = f"{to};tag={to_tag}"
    headers = [("Via", v) for v in msg.all("via")]
    headers += [("From", msg.get("from")), ("To", to), ("Call-ID", msg.call_id),
                ("CSeq", msg.get("cseq"))]
    if contact:
        headers.append(("Contact", contact))
    return _build(f"SIP/2.0 {status} {reason}", headers, body)


# -- the phone -----------------------------------------------------------------------------

@dataclass
class _Dialog:
    tag: str
    last: bytes = b""  # the last response to the INVITE: resent on a retransmitted INVITE
    acked: bool = False


class Phone:
    """A staff phone: registers logins with digest auth, answers every INVITE at once
    (180 then 200 with SDP), answers BYE. `on_invite(msg, t)` sees each new call,
    `on_bye(msg, t)` each call Asterisk hangs up."""

    def __init__(self, host: str, registrar: tuple[str, int], on_invite=None, on_bye=None):
        self.host, self.registrar, self.on_invite = host, registrar, on_invite
        self.on_bye = on_bye
        self.dialogs: dict[str, _Dialog] = {}
        self._pending: dict[str, asyncio.Future] = {}  # REGISTER Call-ID -> response
        self.invites = 0

    async def start(self) -> "Phone":
        self.sock, self.port = await _bind(self._on_message, self.host, 0)
        self._sink, self.media_port = _media_sink(self.host)
        return self

    def close(self) -> None:
        self.sock.transport.close()
        self._sink.close()

    async def register(self, login: str, password: str, expires: int = 3600) -> None:
        """REGISTER, answer the digest challenge; raises if Asterisk does not say 200."""
        call_id, tag = f"reg-{_token()}", _token()
        contact = f"<sip:{login}@{self.host}:{self.port}>"
        uri = f"sip:{self.registrar[0]}:{self.registrar[1]}"
        auth = None
        for cseq in (1, 2):
            headers = [
                ("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{_token()};rport"),
                ("Max-Forwards", "70"), ("From", f"<sip:{login}@{self.host}>;tag={tag}"),
                ("To", f"<sip:{login}@{self.host}>"), ("Call-ID", call_id),
                ("CSeq", f"{cseq} REGISTER"),
                ("Contact", contact), ("Expires", str(expires))]
            if auth:
                headers.append(("Authorization", auth))
            fut = asyncio.get_running_loop().create_future()
            self._pending[call_id] = fut
            self.sock.transport.sendto(_build(f"REGISTER {uri} SIP/2.0", headers),
                                       self.registrar)
            resp = await asyncio.wait_for(fut, 5)
            if resp.status == 200:
                return
            if resp.status != 401 or auth:
                raise RuntimeError(f"REGISTER {login}: {resp.first}")
            auth = _digest(resp.all("www-authenticate"), login, password, "REGISTER", uri)
        raise RuntimeError(f"REGISTER {login}: not accepted")

    def _send(self, data: bytes, addr) -> None:
        self.sock.transport.sendto(data, addr)

    def _on_message(self, msg: Msg, addr, now: float) -> None:
        if msg.is_response:
            fut = self._pending.pop(msg.call_id, None)
            if fut is not None and msg.status >= 200 and not fut.done():
                fut.set_result(msg)
            return
        d = self.dialogs.get(msg.call_id)
        contact = f"<sip:{_user(msg.uri)}@{self.host}:{self.port}>"
        if msg.method == "INVITE" and d is None and not _tag(msg.get("to")):
            self.invites += 1
            d = self.dialogs[msg.call_id] = _Dialog(_token())
            if self.on_invite is not None:
                self.on_invite(msg, now)
            self._send(_response(msg, 180, "Ringing", d.tag, contact), addr)
            d.last = _response(msg, 200, "OK", d.tag, contact, _sdp(self.host, self.media_port))
            self._send(d.last, addr)
            asyncio.get_running_loop().create_task(self._until_acked(d, addr))
        elif msg.method == "INVITE" and d is not None and not _tag(msg.get("to")):
            self._send(d.last, addr)  # a retransmitted INVITE
        elif msg.method == "ACK":
            if d is not None:
                d.acked = True
        elif msg.method == "CANCEL":
            self._send(_response(msg, 200, "OK", d.tag if d else _token(), None), addr)
        else:  # BYE, OPTIONS, a re-INVITE: all simply accepted
            if msg.method == "BYE" and self.dialogs.pop(msg.call_id, None) is not None \
                    and self.on_bye is not None:
                self.on_bye(msg, now)
            body = _sdp(self.host, self.media_port) if msg.method == "INVITE" else b""
            self._send(_response(msg, 200, "OK", d.tag if d else _token(), contact, body), addr)

    async def _until_acked(self, d: _Dialog, addr) -> None:
        delay = T1
        for _ in range(MAX_TRIES):
            await asyncio.sleep(delay)
            if d.acked or not d.last:
                return
            self._send(d.last, addr)
            delay = min(delay * 2, 4)


def _user(uri: str) -> str:
    m = re.match(r"sips?:([^@;>]+)@", uri)
    return m.group(1) if m else "phone"


def _digest(challenges: list[str], user: str, password: str, method: str, uri: str) -> str:
    """RFC 2617/8760 digest with MD5 (what Asterisk offers by default), qop=auth."""
    for challenge in challenges:
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(" ", 1)[1]))
        if params.get("algorithm", "MD5").upper() != "MD5":
            continue
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
        ha1 = md5(f"{user}:{params['realm']}:{password}")
        ha2 = md5(f"{method}:{uri}")
        nonce, cnonce, nc = params["nonce"], _token(), "00000001"
        parts = [f'username="{user}"', f'realm="{params["realm"]}"', f'nonce="{nonce}"',
                 f'uri="{uri}"', "algorithm=MD5"]
        if "qop" in params:
            response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            parts += [f'response="{response}"', "qop=auth", f'cnonce="{cnonce}"', f"nc={nc}"]
        else:
            parts.append(f'response="{md5(f"{ha1}:{nonce}:{ha2}")}"')
        if "opaque" in params:
            parts.append(f'opaque="{params["opaque"]}"')
        return "Digest " + ", ".join(parts)
    raise RuntimeError(f"no MD5 digest challenge in {challenges}")
