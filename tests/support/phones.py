"""Synchronous SIP phones for integration tests: real pjsua2 user agents on loopback.

Every Phone (a registering desk phone, or a trunk agent) runs in a process of its own, a
"phone process" with its own pjsua2 Endpoint driven by one thread there; pjsua2 objects are
created, used and destroyed only on that thread. The test process holds thread-safe facades
(PhoneLab, Phone, Call): an action is a request to the phone process that waits for its
answer, and what callbacks learn there (call states, registration, DTMF, new incoming
calls) comes back as events copied into plain attributes under the lab's one Condition.
Every wait is a Condition wait with a timeout that raises AssertionError; when one returns,
what the other phones did before is visible too (PhoneLab._sync).

Why a process per phone: the pjsua2 wheel is built with PJSUA_MAX_CALLS = 4 (a larger
maxCalls is cut to 4 without a word), and those 4 call slots are shared by all accounts
of a process. With every phone in one process, a fifth leg anywhere made makeCall fail
(PJ_ETOOMANY), and an INVITE that found no free slot was answered by pjsua itself, before
any callback, with a stateless "486 Busy Here" (no 100 Trying, To tag = Via branch): a trunk
agent getting two calls while two desk phones rang refused whichever came too early. Now
each phone has its own MAX_CALLS (4) slots: a Phone places or receives at most 4 calls at
once. A call placed beyond that raises at once; an INVITE refused so is counted in
Phone.busy_rejections and named when wait_incoming fails.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import math
import os
import pickle
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref
from multiprocessing.connection import Connection

import pjsua2 as pj

CLOCK_RATE = 8000  # the bridge runs at the G.711 rate: no resampling anywhere
MAX_CALLS = 4      # PJSUA_MAX_CALLS of the wheel: simultaneous calls of one Phone
STATES = {pj.PJSIP_INV_STATE_NULL: "NULL", pj.PJSIP_INV_STATE_CALLING: "CALLING",
          pj.PJSIP_INV_STATE_INCOMING: "INCOMING", pj.PJSIP_INV_STATE_EARLY: "EARLY",
          pj.PJSIP_INV_STATE_CONNECTING: "CONNECTING", pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED",
          pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED"}
_LIVE_MEDIA = (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD)
_NO_SLOT = "Unable to accept incoming call (too many calls)"  # pjsua's log line for that 486
_PJ_ETOOMANY = 70010


def _call_prm(code=0, local_uri=None):
    prm = pj.CallOpParam(True)
    prm.statusCode, prm.opt.videoCount = code, 0
    if local_uri:
        prm.txOption.localUri = local_uri  # the From of an initial INVITE
    return prm


def _name_addr(display, uri):
    return f'"{display}" <{uri}>' if display else uri


def _parse_uri(uri):
    """'"Bob" <sip:+1555@host>' -> ('Bob', '+1555')."""
    m = re.match(r'\s*(?:"([^"]*)"|([^<"]*?))\s*<?sips?:(?:([^@>;]*)@)?', uri or "")
    return ((m[1] if m[1] is not None else m[2] or "").strip(), m[3] or "") if m else ("", "")


@contextlib.contextmanager
def _quiet_stdout():
    """libCreate logs at level 4 to fd 1 before any LogConfig applies: mute fd 1 meanwhile."""
    libc = ctypes.CDLL(None)
    libc.fflush(None)
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        yield
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def tone_present(samples, rate, freq, floor_rms=100.0):
    """Goertzel check that `freq` dominates at least half of the 50 ms blocks of `samples`.

    A block passes when it is above the silence floor, at least half of its power sits at
    `freq`, and `freq` is 10x stronger than 0.75*freq and 1.3*freq. A clean tone scores
    ~1.0 and ~1000x; silence is exactly 0 (noVad, PCMU); another tone scores ~0.
    """
    n = rate // 20
    blocks = [samples[i:i + n] for i in range(0, len(samples) - n + 1, n)]

    def power(block, f):  # power of the f component, on the same scale as mean(x^2)
        w, s1, s2 = 2 * math.cos(2 * math.pi * f / rate), 0.0, 0.0
        for x in block:
            s1, s2 = x + w * s1 - s2, s1
        return 2 * (s1 * s1 + s2 * s2 - w * s1 * s2) / len(block) ** 2

    passed = 0
    for b in blocks:
        total = sum(x * x for x in b) / len(b)
        p = power(b, freq) if total >= floor_rms ** 2 else 0
        passed += p > 0.5 * total and p > 10 * max(power(b, freq * 0.75), power(b, freq * 1.3))
    return bool(blocks) and passed >= len(blocks) / 2


# =====================================================================================
# The phone process: one pjsua2 Endpoint, one account, one UDP transport.
# =====================================================================================

def _forward(name):
    """A pjsua2 callback calling owner.<name>(prm). It must never raise into C++ (abort)."""
    def callback(self, prm):
        try:
            owner = self.owner()  # weak: the core owns the pjsua2 object, not the reverse
            if owner is not None:
                getattr(owner, name)(prm)
        except Exception:
            traceback.print_exc()
    return callback


class _Endpoint(pj.Endpoint):
    def __init__(self, engine):
        super().__init__()
        self.owner = weakref.ref(engine)

    onSelectAccount = _forward("_select_account")


class _LogWriter(pj.LogWriter):
    """Console output at the asked level, and a count of INVITEs pjsua refused with 486."""

    def __init__(self, level, on_no_slot):
        super().__init__()
        self.level, self.on_no_slot = level, on_no_slot

    def write(self, entry):
        try:
            if _NO_SLOT in entry.msg:
                self.on_no_slot()
            if entry.level <= self.level:
                os.write(1, entry.msg.encode(errors="replace"))
        except Exception:
            traceback.print_exc()


class _PjAccount(pj.Account):
    def __init__(self, phone):
        super().__init__()
        self.owner = weakref.ref(phone)

    onRegState = _forward("_on_reg")
    onIncomingCall = _forward("_on_incoming")


class _PjCall(pj.Call):
    def __init__(self, call, acc, call_id):
        super().__init__(acc, call_id)
        self.owner = weakref.ref(call)

    onCallState = _forward("_update")
    onCallMediaState = _forward("_attach")
    onDtmfDigit = _forward("_on_dtmf")
    onCallTransferStatus = _forward("_on_xfer_status")


class _Capture(pj.AudioMediaPort):
    """Sink port. onFrameReceived runs on the media clock thread: it touches only `sink`."""
    sink = None

    def onFrameReceived(self, frame):
        sink = self.sink
        if sink is not None:
            audio = frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO
            sink.add(bytes(frame.buf) if audio else bytes(CLOCK_RATE // 50 * 2))


class _Recording:
    def __init__(self, seconds, cond):
        self.need, self.cond, self.chunks, self.have = int(seconds * CLOCK_RATE) * 2, cond, [], 0

    def add(self, data):
        with self.cond:
            if self.have < self.need:
                self.chunks.append(data)
                self.have += len(data)
                if self.have >= self.need:
                    self.cond.notify_all()

    def data(self):
        return b"".join(self.chunks)[:self.need]  # 16-bit native-endian samples


class _Engine:
    """The phone process's Endpoint plus the thread that runs it."""

    def __init__(self, send):
        self.send = send  # thread-safe: an event for the test process
        self.cond = threading.Condition()  # guards what a helper thread waits on (record)
        self.phone, self.max_calls, self.cores, self._keys = None, MAX_CALLS, {}, itertools.count(1)
        self.hang_up_transferred = True  # after a REFER succeeded, as desk phones do
        self._jobs = queue.SimpleQueue()
        self._calls, self._graveyard, self._timers = [], [], []
        self._ended = []  # when recent calls ended, see _throttle
        self._spare = {"tone": [], "capture": []}
        self._stop = False
        self._error, ready = None, threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), name="pjsua", daemon=True)
        self._thread.start()
        ready.wait()
        if self._error:
            raise self._error

    def _main(self, ready):
        try:
            self._ep = self._start()
        except BaseException as e:
            self._error = e
        ready.set()
        while not self._stop and not self._error:
            self._ep.libHandleEvents(10)
            self._graveyard.clear()  # deferred deletes, now that no callback is on the stack
            for timer in [t for t in self._timers if t[0] <= time.monotonic()]:
                self._timers.remove(timer)
                try:
                    timer[1]()
                except Exception:
                    traceback.print_exc()
            while not self._stop:
                try:
                    fn, args, box, done = self._jobs.get_nowait()
                except queue.Empty:
                    break
                try:
                    box["value"] = fn(*args)
                except pj.Error as e:  # its repr is a bare SWIG proxy: make it readable
                    box["error"] = RuntimeError(f"pjsua2 {e.title}: {e.reason}")
                except BaseException as e:
                    box["error"] = e
                done.set()

    def _start(self):
        level = int(os.environ.get("PHONES_LOG_LEVEL", "1"))
        ep = _Endpoint(self)
        with _quiet_stdout() if level < 4 else contextlib.nullcontext():
            ep.libCreate()  # on this thread: pjsua2 takes it as the "main" thread
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt, cfg.uaConfig.mainThreadOnly = 0, True
        cfg.uaConfig.maxCalls = 1000  # cut to the wheel's PJSUA_MAX_CALLS; read back below
        self._writer = _LogWriter(level, lambda: self.send(("busy",)))
        cfg.logConfig.level = cfg.logConfig.consoleLevel = max(level, 2)  # 2: the 486 line
        cfg.logConfig.writer = self._writer
        med = cfg.medConfig
        med.clockRate = med.sndClockRate = CLOCK_RATE
        med.noVad = True  # keep RTP flowing during silence (rtp_counts, silence checks)
        med.ecTailLen = 0
        med.sndAutoCloseTime = -1  # the null device's clock drives the bridge: never idle it
        ep.libInit(cfg)
        with contextlib.suppress(OSError, AttributeError):
            self.max_calls = ctypes.CDLL(pj._pjsua2.__file__).pjsua_call_get_max_count()
        ep.audDevManager().setNullDev()
        prio = {"PCMU/8000/1": 255, "PCMA/8000/1": 254}
        for codec in ep.codecEnum2():
            ep.codecSetPriority(codec.codecId, prio.get(codec.codecId, 0))
        ep.libStart()
        return ep

    def _select_account(self, prm):
        # The process has one account; say so rather than rely on pjsua's URI matching.
        if self.phone is not None and self.phone._acc is not None:
            prm.accountIndex = self.phone._acc.getId()

    def run(self, fn, *args):
        """Run fn(*args) on the pj thread; return its result or re-raise its exception."""
        if threading.current_thread() is self._thread:
            return fn(*args)
        box, done = {}, threading.Event()
        self._jobs.put((fn, args, box, done))
        if not done.wait(30):
            raise AssertionError(f"the pjsua thread did not run {fn.__name__} within 30 s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def wait_for(self, predicate, timeout):
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def _pump(self, done, timeout):
        """Process SIP events from inside a job until done() or timeout (teardown, throttle)."""
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self._ep.libHandleEvents(10)
        self._graveyard.clear()  # callbacks have returned

    def _throttle(self):
        # pjlib's ioqueue has 64 slots (a transport takes 1, a call leg 2: RTP and RTCP) and
        # frees a closed socket's slot only ~500 ms later; running out aborts the process.
        # So a burst of short calls waits for slots here, before placing the next call.
        def busy():
            self._ended = [t for t in self._ended if t > time.monotonic() - 0.7]
            return 1 + 2 * (len(self._calls) + len(self._ended)) > 48
        self._pump(lambda: not busy(), 2)

    def _borrow(self, kind):
        # Media ports are pooled, never destroyed: pjsua2 2.15 frees a port while the bridge
        # removes it asynchronously on its clock thread (a use-after-free window). The phone
        # process ends with os._exit, never libDestroy, so nothing is freed late either.
        if self._spare[kind]:
            return self._spare[kind].pop()
        if kind == "tone":
            port = pj.ToneGenerator()
            port.createToneGenerator(CLOCK_RATE, 1)
            port.thisown = False
        else:
            fmt = pj.MediaFormatAudio()
            fmt.init(pj.PJMEDIA_FORMAT_PCM, CLOCK_RATE, 1, 20000, 16)
            port = _Capture()
            port.createPort("capture", fmt)
            port.__disown__()  # C++ now owns the port and keeps its Python half alive
        return port


class _PhoneCore:
    """The account and transport of a Phone, in its phone process (pj thread only)."""

    def __init__(self, engine, user, bind_ip, port, from_host, dial_host, password=None,
                 register=False, display_name=None):
        self.engine, self.user, self.bind_ip, self.port = engine, user, bind_ip, port
        self.dial_host, self.display_name, self._from_host = dial_host, display_name, from_host
        self.registered, self.last_reg_code, self.last_reg_reason = False, 0, ""
        self._acc, self._tid, self._retrying = None, None, False
        self._setup(password, register)

    def _setup(self, password, register):
        try:
            ep, tc = self.engine._ep, pj.TransportConfig()
            tc.boundAddress, tc.port = self.bind_ip, self.port
            self._tid = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
            self.port = int(ep.transportGetInfo(self._tid).localName.rsplit(":", 1)[1])
            cfg = pj.AccountConfig()
            if password is not None:
                self.uri = f"sip:{self.user}@{self._from_host}"
                cfg.regConfig.registrarUri = f"sip:{self.dial_host}"
                cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", self.user, 0, password))
            else:  # an agent is named by its address, unique even when names repeat
                self.uri = f"sip:{self.user}@{self.bind_ip}:{self.port}"
            cfg.idUri = _name_addr(self.display_name, self.uri)
            cfg.regConfig.registerOnAdd = register
            cfg.sipConfig.transportId = self._tid
            media = cfg.mediaConfig
            media.transportConfig.boundAddress, media.transportConfig.port = self.bind_ip, 0
            media.srtpUse = pj.PJMEDIA_SRTP_DISABLED
            nat = cfg.natConfig  # plain loopback: no NAT tricks, no outbound/instance params
            nat.iceEnabled = False
            nat.sipStunUse = nat.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
            nat.contactRewriteUse = nat.viaRewriteUse = nat.sdpNatRewriteUse = nat.sipOutboundUse = 0
            self._acc = _PjAccount(self)
            self._acc.create(cfg, False)
        except BaseException:
            self._close()
            raise

    def _close(self):
        calls = list(self.engine._calls)
        for c in calls:
            c._local_end = True
            with contextlib.suppress(pj.Error):
                c._op("hangup", 0)
        self.engine._pump(lambda: all(c.state == "DISCONNECTED" for c in calls), 3)
        for c in calls:
            c._release()
        if self._acc is not None:
            self._acc.shutdown()  # sends the un-REGISTER of a registered phone
            self._acc = None
        if self._tid is not None:
            with contextlib.suppress(pj.Error):
                self.engine._ep.transportClose(self._tid)
            self._tid = None
        self.engine._pump(lambda: False, 0.05)  # let the last requests and responses go out
        self.registered = False
        self._publish()

    def _publish(self):
        self.engine.send(("phone", {"registered": self.registered,
                                    "last_reg_code": self.last_reg_code,
                                    "last_reg_reason": self.last_reg_reason}))

    def _on_reg(self, prm):
        self.registered = prm.code // 100 == 2 and prm.expiration > 0
        self.last_reg_code, self.last_reg_reason = prm.code, prm.reason
        self._publish()
        if self._retrying and not self.registered:
            self.engine._timers.append((time.monotonic() + 1, self._reregister))

    def _reregister(self, retrying=None):
        # pjsua itself retries only after timeouts and 5xx/6xx, not after the 401/403 a
        # registrar gives an account it does not know yet (not provisioned so far).
        if retrying is not None:
            self._retrying = retrying
        if self._retrying and self._acc is not None and self.last_reg_code >= 300:
            with contextlib.suppress(pj.Error):  # a REGISTER already in flight
                self._acc.setRegistration(True)

    def _unregister(self):
        if self._acc is not None and self.registered:
            self._acc.setRegistration(False)

    def _on_incoming(self, prm):
        call = _CallCore(self.engine, self._acc, prm.callId)
        call._op("answer", 180)
        self.engine.send(("incoming", call.key))

    def _make_calls(self, uris, caller_id):
        """Place the calls back to back: no SIP event is handled between two INVITEs."""
        made = []
        try:
            for uri in uris:
                made.append(self._make_call(uri, caller_id))
        except BaseException:
            for c in made:  # all or nothing: the caller never got these
                c._local_end = True
                with contextlib.suppress(pj.Error):
                    c._op("hangup", 0)
            raise
        return [c.key for c in made]

    def _make_call(self, uri, caller_id):
        self.engine._throttle()
        call = _CallCore(self.engine, self._acc, pj.PJSUA_INVALID_ID)
        local = caller_id and _name_addr(self.display_name, f"sip:{caller_id}@{self._from_host}")
        try:
            call._pj.makeCall(uri, _call_prm(local_uri=local))
        except pj.Error as e:
            call._release()
            self.engine.cores.pop(call.key, None)
            if e.status == _PJ_ETOOMANY:
                raise RuntimeError(
                    f"{self.uri} cannot call {uri}: it already has {self.engine.max_calls} "
                    f"calls, the most one Phone can have (PJSUA_MAX_CALLS of the pjsua2 "
                    f"wheel); end some first") from None
            raise
        call._update()
        return call


class _CallCore:
    """One call leg in the phone process (pj thread, except record)."""

    def __init__(self, engine, acc, call_id):
        self.engine, self.key = engine, next(engine._keys)
        self.state, self.last_code, self.last_reason = "NULL", 0, ""
        self.remote_uri, self.remote_user, self.remote_display, self.local_user = "", "", "", ""
        self.disconnected_by_remote, self.dtmf_received = False, ""
        self.transfer_status = []  # the sipfrag codes of the NOTIFYs after our REFER
        self._seen, self._local_end, self._rtp = {"NULL"}, False, (0, 0)
        self._tone = self._cap = None
        self._pj = _PjCall(self, acc, call_id)
        engine._calls.append(self)
        engine.cores[self.key] = self
        if call_id != pj.PJSUA_INVALID_ID:
            self._update()

    def _publish(self):
        self.engine.send(("call", self.key, {
            "state": self.state, "seen": set(self._seen), "last_code": self.last_code,
            "last_reason": self.last_reason, "remote_uri": self.remote_uri,
            "remote_user": self.remote_user, "remote_display": self.remote_display,
            "local_user": self.local_user, "dtmf_received": self.dtmf_received,
            "transfer_status": list(self.transfer_status),
            "disconnected_by_remote": self.disconnected_by_remote}))

    def _live(self):  # a call whose makeCall failed has no pjsua id: getInfo would abort
        return (self._pj is not None and self.state != "DISCONNECTED"
                and self._pj.getId() != pj.PJSUA_INVALID_ID)

    def _update(self, prm=None):
        if self._pj is None:
            return
        ci = self._pj.getInfo()
        state = STATES.get(ci.state, str(ci.state))
        if state == "DISCONNECTED":
            self._stats()  # last chance
        with self.engine.cond:
            self.state = state
            self._seen.add(state)
            self.last_code, self.last_reason = ci.lastStatusCode or self.last_code, ci.lastReason
            self.remote_uri = ci.remoteUri
            self.remote_display, self.remote_user = _parse_uri(ci.remoteUri)
            self.local_user = _parse_uri(ci.localUri)[1]  # for an incoming call: who was dialled
            self.disconnected_by_remote = state == "DISCONNECTED" and not self._local_end
            self.engine.cond.notify_all()
        self._publish()
        if state == "DISCONNECTED":
            # Delete it now: pjsua reuses call slots, and ~Call acts on its slot id. But only
            # once this callback has returned, hence the graveyard.
            self.engine._graveyard.append(self._pj)
            self.engine._ended.append(time.monotonic())
            self._release()

    def _audio(self):
        """The call's live AudioMedia or None. Never cache it: pjsua2 frees it on media changes."""
        if not self._live():
            return None
        ci = self._pj.getInfo()  # keep ci referenced: ci.media is a view into it
        for i, m in enumerate(ci.media):
            if m.type == pj.PJMEDIA_TYPE_AUDIO and m.status in _LIVE_MEDIA:
                return self._pj.getAudioMedia(i)
        return None

    def _attach(self, prm=None):  # (re)connect tone and capture whenever media (re)starts
        aud = self._audio()
        if aud is not None:
            if self._tone is not None:
                self._tone.startTransmit(aud)
            if self._cap is not None and self._cap.sink is not None:
                aud.startTransmit(self._cap)

    def _op(self, what, code):
        if self._live():
            getattr(self._pj, what)(_call_prm(code))

    def _set_tone(self, freq):
        if not self._live():
            return
        if self._tone is None:
            self._tone = self.engine._borrow("tone")
        self._tone.stop()  # play() appends to the queue: clear it first
        if freq is not None:
            desc, tones = pj.ToneDesc(), pj.ToneDescVector()
            desc.freq1, desc.freq2, desc.on_msec, desc.off_msec = int(freq), 0, 1000, 0
            tones.append(desc)
            self._tone.play(tones, True)
            self._attach()

    def _capture(self, rec):
        if not self._live() or (rec is None and self._cap is None):
            return
        if self._cap is None:
            self._cap = self.engine._borrow("capture")
        self._cap.sink = rec
        aud = self._audio()
        if rec is None and aud is not None:
            aud.stopTransmit(self._cap)
        self._attach()

    def _record(self, seconds):  # a helper thread, not the pj thread
        rec = _Recording(seconds, self.engine.cond)
        self.engine.run(self._capture, rec)
        try:  # the recording window: ends when enough audio has arrived, or on disconnect
            self.engine.wait_for(lambda: rec.have >= rec.need or self.state == "DISCONNECTED",
                                 seconds + 2)
        finally:
            self.engine.run(self._capture, None)
        return rec.data()

    def _stats(self):
        with contextlib.suppress(pj.Error):  # no stream (yet, or any more)
            ci = self._pj.getInfo() if self._live() else None
            for i, m in enumerate(ci.media if ci else []):
                if m.type == pj.PJMEDIA_TYPE_AUDIO and m.status in _LIVE_MEDIA:
                    st = self._pj.getStreamStat(i).rtcp
                    self._rtp = (st.rxStat.pkt, st.txStat.pkt)
                    break
        return self._rtp

    def _on_dtmf(self, prm):
        self.dtmf_received += prm.digit
        self._publish()

    def _on_xfer_status(self, prm):
        """A NOTIFY about the REFER this call sent. Like a desk phone, hang up once the
        transfer succeeded (the final 2xx)."""
        self.transfer_status.append(prm.statusCode)
        self._publish()
        if prm.finalNotify and 200 <= prm.statusCode < 300 and self.engine.hang_up_transferred:
            self._local_end = True
            self._op("hangup", 0)

    def _transfer(self, uri, replaces_key):
        if not self._live():
            raise RuntimeError("the call has ended: nothing to transfer")
        if replaces_key is None:
            self._pj.xfer(uri, _call_prm())
        else:
            self._pj.xferReplaces(self.engine.cores[replaces_key]._pj, _call_prm())

    def _hold(self, on):
        if not self._live():
            return
        if on:
            self._pj.setHold(_call_prm())
        else:
            prm = _call_prm()
            prm.opt.flag |= pj.PJSUA_CALL_UNHOLD
            self._pj.reinvite(prm)

    def _release(self):
        """Return the media ports to the pool and drop the pjsua2 call."""
        aud = None
        with contextlib.suppress(pj.Error):
            aud = self._audio()
        if self._tone is not None:
            self._tone.stop()
            if aud is not None:
                self._tone.stopTransmit(aud)
            self.engine._spare["tone"].append(self._tone)
        if self._cap is not None:
            self._cap.sink = None
            if aud is not None:
                aud.stopTransmit(self._cap)
            self.engine._spare["capture"].append(self._cap)
        self._tone = self._cap = self._pj = None
        if self in self.engine._calls:
            self.engine._calls.remove(self)


def _serve(fd):
    """Main of a phone process: answer the test process's requests until it says close."""
    conn, lock = Connection(fd), threading.Lock()

    def send(msg):
        with lock:
            conn.send(msg)

    engine = None

    def setup(*args):
        nonlocal engine
        engine = _Engine(send)
        core = engine.run(_PhoneCore, engine, *args)
        engine.phone = core
        return {"port": core.port, "uri": core.uri, "max_calls": engine.max_calls}

    def on_pj(fn):  # a request served by one job on the pj thread
        return lambda *args: engine.run(fn, *args)

    def call_op(key, what, code, local_end):
        core = engine.cores[key]
        core._local_end = core._local_end or local_end
        core._op(what, code)

    def set_retrying(value):
        engine.phone._retrying = value

    def set_hang_up_transferred(value):
        engine.hang_up_transferred = value

    handlers = {
        "setup": setup,
        "make_calls": on_pj(lambda uris, caller_id: engine.phone._make_calls(uris, caller_id)),
        "reregister": on_pj(lambda: engine.phone._reregister(True)),
        "set_retrying": on_pj(set_retrying),
        "unregister": on_pj(lambda: engine.phone._unregister()),
        "close": on_pj(lambda: engine.phone._close()),
        "sync": on_pj(lambda: None),
        "call_op": on_pj(call_op),
        "dtmf": on_pj(lambda key, digits: engine.cores[key]._live()
                      and engine.cores[key]._pj.dialDtmf(digits)),
        "tone": on_pj(lambda key, freq: engine.cores[key]._set_tone(freq)),
        "stats": on_pj(lambda key: engine.cores[key]._stats()),
        "transfer": on_pj(lambda key, uri, other: engine.cores[key]._transfer(uri, other)),
        "hold": on_pj(lambda key, on: engine.cores[key]._hold(on)),
        "set_hang_up_transferred": on_pj(set_hang_up_transferred),
        "record": lambda key, seconds: engine.cores[key]._record(seconds),
    }

    def handle(req_id, name, args):
        try:
            reply = ("reply", req_id, True, handlers[name](*args))
        except BaseException as e:
            try:
                pickle.dumps(e)
            except Exception:
                e = RuntimeError(f"{type(e).__name__}: {e}")
            reply = ("reply", req_id, False, e)
        send(reply)
        if name == "close" or (name == "setup" and not reply[2]):
            sys.stdout.flush()
            sys.stderr.flush()
            ctypes.CDLL(None).fflush(None)
            os._exit(0)  # never libDestroy: it takes a second and nothing here needs it

    while True:
        try:
            req_id, name, args = conn.recv()
        except (EOFError, OSError):  # the test process is gone
            os._exit(0)
        threading.Thread(target=handle, args=(req_id, name, args), daemon=True).start()


# =====================================================================================
# The test process: facades.
# =====================================================================================

class PhoneLab:
    """The phones of a test process: each runs in its own phone process."""
    _live = None
    _live_lock = threading.Lock()

    def __init__(self):
        with PhoneLab._live_lock:
            if PhoneLab._live is not None:
                raise RuntimeError("a PhoneLab is already open: reuse it (shared_lab()) "
                                   "or close() it first")
            PhoneLab._live = self
        self.cond = threading.Condition()
        self._phones, self._closed = [], False

    def wait_for(self, predicate, timeout):
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def _sync(self, seen_by):
        """Once `seen_by` has seen something, make what the other phones did before it seen.

        Phones report over separate pipes, so b's "EARLY" may come after a's "180 received";
        but a phone process sends a SIP message and reports what it did in one stretch of
        its pj thread, so a round trip through every other pj thread restores the order."""
        asked = []
        for p in self.phones:
            if p is not seen_by:
                with contextlib.suppress(RuntimeError):  # closed meanwhile
                    asked.append((p, p._ask("sync")))
        for p, answer in asked:
            with contextlib.suppress(RuntimeError):
                p._await("sync", answer, 30)

    def phone(self, user, password, registrar="127.0.0.1:5060", bind_ip="127.0.0.1",
              register=True, display_name=None):
        return Phone(self, user, bind_ip, 0, registrar.rsplit(":", 1)[0], registrar,
                     password, register, display_name)

    def agent(self, name, bind_ip, port, outbound_proxy="127.0.0.1:5080", display_name=None):
        """A trunk agent; `display_name` goes out as the caller's name (CNAM)."""
        return Phone(self, name, bind_ip, port, bind_ip, outbound_proxy,
                     display_name=display_name)

    @property
    def phones(self):
        """The open phones and agents."""
        with self.cond:
            return list(self._phones)

    def reset(self):
        """Hang up and close every phone and agent (per-test cleanup)."""
        for p in self.phones:
            p.close()

    def close(self):
        with PhoneLab._live_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.reset()
        finally:
            with PhoneLab._live_lock:
                if PhoneLab._live is self:
                    PhoneLab._live = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


atexit.register(lambda: PhoneLab._live and PhoneLab._live.close())


class Phone:
    """A UA on its own UDP transport, in its own process: a registering phone, or a trunk
    agent (no password). At most `max_calls` (MAX_CALLS) calls at a time."""

    def __init__(self, lab, user, bind_ip, port, from_host, dial_host, password=None,
                 register=False, display_name=None):
        if lab._closed:
            raise RuntimeError("PhoneLab is closed")
        self.lab, self.user, self.bind_ip, self.port = lab, user, bind_ip, port
        self.dial_host, self.display_name = dial_host, display_name
        self.uri, self.max_calls = f"sip:{user}@{bind_ip}", MAX_CALLS
        self.registered, self.last_reg_code, self.last_reg_reason = False, 0, ""
        self.busy_rejections = 0  # INVITEs pjsua answered 486 for want of a free call slot
        self._incoming, self._calls, self._closed, self._exit = [], {}, False, None
        self._pending, self._ids, self._send_lock = {}, itertools.count(1), threading.Lock()
        ours, theirs = socket.socketpair()
        with theirs:
            self._proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--phone-process",
                 str(theirs.fileno())], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        self._conn = Connection(ours.detach())  # only the reader thread closes it (see _read)
        self._reader = threading.Thread(target=self._read, name=f"phone-{user}", daemon=True)
        self._reader.start()
        try:
            info = self._request("setup", user, bind_ip, port, from_host, dial_host, password,
                                 register, display_name)
        except BaseException:
            self._finish()
            raise
        self.port, self.uri, self.max_calls = info["port"], info["uri"], info["max_calls"]
        with lab.cond:
            lab._phones.append(self)

    # --- the link to the phone process ---------------------------------------------
    def _request(self, name, *args, timeout=30):
        return self._await(name, self._ask(name, *args), timeout)

    def _ask(self, name, *args):
        box, done = {}, threading.Event()
        with self._send_lock:
            if self._exit is not None:
                raise RuntimeError(f"{self!r}: its phone process has exited ({self._exit})")
            req_id = next(self._ids)
            self._pending[req_id] = (box, done)
            try:
                self._conn.send((req_id, name, args))
            except OSError as e:
                self._pending.pop(req_id, None)
                raise RuntimeError(f"{self!r}: its phone process is gone ({e})") from None
        return box, done

    def _await(self, name, answer, timeout):
        box, done = answer
        if not done.wait(timeout):
            raise AssertionError(f"{self!r}: the phone process did not do {name} "
                                 f"within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def _read(self):
        """The reader thread: answers and events, until the phone process has exited.

        It alone closes the connection, at the end: closed under a blocked reader, the fd
        number would be reused by the next phone's socketpair, and its messages stolen."""
        try:
            while True:
                msg = self._conn.recv()
                kind = msg[0]
                if kind == "reply":
                    box, done = self._pending.pop(msg[1])
                    box["value" if msg[2] else "error"] = msg[3]
                    done.set()
                    continue
                with self.lab.cond:
                    if kind == "call":
                        self._call(msg[1])._apply(msg[2])
                    elif kind == "incoming":
                        self._incoming.append(self._call(msg[1]))
                    elif kind == "phone":
                        self.__dict__.update(msg[1])
                    elif kind == "busy":
                        self.busy_rejections += 1
                    self.lab.cond.notify_all()
        except (EOFError, OSError):
            pass
        except Exception:
            traceback.print_exc()
            self._proc.kill()
        code = self._proc.wait()
        with self._send_lock:  # no request is being sent: _ask checks _exit under this lock
            self._conn.close()
            self._exit = f"exit code {code}" if code >= 0 else f"killed by signal {-code}"
            pending, self._pending = self._pending, {}
        for box, done in pending.values():
            box["error"] = RuntimeError(f"{self!r}: its phone process has exited ({self._exit})")
            done.set()
        with self.lab.cond:
            self.registered = False
            self.lab.cond.notify_all()

    def _call(self, key):  # under lab.cond
        if key not in self._calls:
            self._calls[key] = Call(self, key)
        return self._calls[key]

    def _finish(self):  # the process exits (or is killed), then the reader sees EOF
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(5)

    # --- API -------------------------------------------------------------------------
    def close(self):
        """Hang up this phone's calls, free its account and transport, end its process."""
        with self.lab.cond:
            if self._closed:
                return
            self._closed = True
        try:
            if self._exit is None:
                with contextlib.suppress(RuntimeError):  # the process exits as it answers
                    self._request("close")
        finally:
            self._finish()
            with self.lab.cond:
                self.registered = False
                if self in self.lab._phones:
                    self.lab._phones.remove(self)
                self.lab.cond.notify_all()

    def wait_registered(self, timeout=5):
        """Wait for a registration; meanwhile a failed REGISTER is retried every second."""
        self._request("reregister")
        try:
            ok = self.lab.wait_for(lambda: self.registered, timeout)
        finally:
            with contextlib.suppress(RuntimeError):
                self._request("set_retrying", False)
        if not ok:
            raise AssertionError(f"{self.uri} not registered after {timeout}s (last REGISTER "
                                 f"response: {self.last_reg_code} {self.last_reg_reason})")

    def unregister(self, timeout=5):
        if self.registered:
            self._request("unregister")
        if not self.lab.wait_for(lambda: not self.registered, timeout):
            raise AssertionError(f"{self.uri} still registered after {timeout}s")

    def _uri(self, dest):
        return dest if dest.startswith(("sip:", "sips:")) else f"sip:{dest}@{self.dial_host}"

    def call(self, dest, caller_id=None):
        return self.call_many([dest], caller_id)[0]

    def call_many(self, dests, caller_id=None):
        """Place several calls at once: the INVITEs leave back to back (up to max_calls)."""
        keys = self._request("make_calls", [self._uri(d) for d in dests], caller_id)
        with self.lab.cond:
            return [self._call(k) for k in keys]

    def wait_incoming(self, timeout=5):
        if not self.lab.wait_for(lambda: self._incoming, timeout):
            why = ""
            if self.busy_rejections:
                why = (f"; pjsua answered {self.busy_rejections} INVITE(s) 486 Busy Here "
                       f"itself: all {self.max_calls} call slots of this phone were in use")
            if self._exit is not None:
                why += f"; its phone process has exited ({self._exit})"
            raise AssertionError(f"no incoming call for {self.uri} within {timeout}s{why}")
        self.lab._sync(self)
        with self.lab.cond:
            return self._incoming.pop(0)

    def hang_up_after_transfer(self, value):
        """Whether a successful REFER ends the call by itself (default: yes, as desk phones
        do); off, the test hangs up when it wants."""
        self._request("set_hang_up_transferred", value)

    def forget_incoming(self):
        """Drop calls that came in and were never taken by a test (a test's start)."""
        with self.lab.cond:
            self._incoming.clear()

    def expect_no_incoming(self, within):
        if self.lab.wait_for(lambda: self._incoming, within):
            raise AssertionError(f"unexpected incoming call for {self.uri} "
                                 f"from {self._incoming[0].remote_uri}")

    def __repr__(self):
        return f"<Phone {self.uri} on {self.bind_ip}:{self.port}>"


class Call:
    """One call leg. Its attributes are copied from the phone process, so they outlive the call."""

    def __init__(self, phone, key):
        self.phone, self.lab, self._key = phone, phone.lab, key
        self.state, self.last_code, self.last_reason = "NULL", 0, ""
        self.remote_uri, self.remote_user, self.remote_display = "", "", ""
        self.local_user = ""  # the user part of our own URI: for an incoming call, who was dialled
        self.disconnected_by_remote, self.dtmf_received = False, ""
        self.transfer_status = []  # NOTIFY sipfrag codes after this call's REFER
        self._seen = {"NULL"}

    def _apply(self, snapshot):  # under lab.cond
        self._seen |= snapshot.pop("seen")
        self.__dict__.update(snapshot)

    def _request(self, name, *args, **kw):
        return self.phone._request(name, self._key, *args, **kw)

    def wait_state(self, name, timeout=5):
        """Wait until the call has been in state `name`; fails at once if it ended without."""
        assert name in STATES.values(), f"unknown call state {name!r}"
        ok = self.lab.wait_for(lambda: name in self._seen or "DISCONNECTED" in self._seen, timeout)
        if not ok or name not in self._seen:
            raise AssertionError(f"call {self.remote_uri or '?'} never reached {name} within "
                                 f"{timeout}s: state {self.state}, last SIP code "
                                 f"{self.last_code} {self.last_reason}")
        self.lab._sync(self.phone)

    def wait_disconnected(self, timeout=5):
        self.wait_state("DISCONNECTED", timeout)

    def answer(self, code=200):
        self._request("call_op", "answer", code, False)

    def ring(self):
        self.answer(180)

    def reject(self, code=486):
        self._request("call_op", "hangup", code, True)

    def hangup(self):
        if self.state != "DISCONNECTED":
            self._request("call_op", "hangup", 0, True)

    def send_dtmf(self, digits):
        """RFC 2833 digits; the far end's arrive in `dtmf_received`."""
        self._request("dtmf", digits)

    def play_tone(self, freq_hz):
        self._request("tone", freq_hz)

    def transfer(self, dest):
        """Blind transfer: a REFER to `dest` (an extension or number at the registrar)."""
        self._request("transfer", self.phone._uri(dest), None)

    def transfer_to(self, other):
        """Attended transfer: a REFER whose Refer-To replaces `other`, this phone's second
        call (the consultation)."""
        assert other.phone is self.phone, "an attended transfer joins two calls of one phone"
        self._request("transfer", other.remote_uri, other._key)

    def hold(self):
        self._request("hold", True)

    def unhold(self):
        self._request("hold", False)

    def wait_transfer_status(self, code, timeout=5):
        """Until a NOTIFY about this call's REFER carried `code` (e.g. 200, 503)."""
        if not self.lab.wait_for(lambda: code in self.transfer_status, timeout):
            raise AssertionError(f"no NOTIFY {code} for the transfer of {self.remote_uri} "
                                 f"within {timeout}s; got {self.transfer_status}")

    def stop_tone(self):
        self._request("tone", None)

    def record(self, seconds):
        """The far end's audio for `seconds` (less if the call ends): 16-bit samples at CLOCK_RATE."""
        data = self._request("record", seconds, timeout=seconds + 30)
        return memoryview(data).cast("h").tolist()

    def hears_tone(self, freq_hz, seconds=1.5):
        return tone_present(self.record(seconds), CLOCK_RATE, freq_hz)

    def rtp_counts(self):
        """(rx_packets, tx_packets) of the audio stream; the last values once it has ended."""
        return tuple(self._request("stats"))

    def __repr__(self):
        return f"<Call {self.remote_uri} {self.state} last={self.last_code}>"


@contextlib.contextmanager
def shared_lab():
    """The open PhoneLab if there is one (left open), else a new one closed on exit."""
    if PhoneLab._live is not None:
        yield PhoneLab._live
        return
    with PhoneLab() as lab:
        yield lab


if __name__ == "__main__" and sys.argv[1:2] == ["--phone-process"]:
    _serve(int(sys.argv[2]))
else:
    try:  # a conftest.py can do `from tests.support.phones import phone_lab`
        import pytest

        @pytest.fixture(scope="session")
        def phone_lab():
            with shared_lab() as lab:
                yield lab
    except ImportError:  # the harness itself needs only pjsua2 and the stdlib
        pass
