"""Synchronous SIP phones for integration tests: real pjsua2 user agents on loopback.

PhoneLab owns the process's single pjsua2 Endpoint and drives it from one dedicated
thread; pjsua2 objects are created, used and destroyed only there. Phone and Call are
thread-safe facades: actions are posted to that thread (lab.run), callbacks copy state
into plain attributes under one Condition, and every wait is a Condition wait with a
timeout that raises AssertionError.

Limit of the pjsua2 wheel: 8 SIP transports and 8 accounts per process, so at most 8 live
phones/agents at a time; close() those a test no longer needs, or lab.reset().
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import math
import os
import queue
import re
import threading
import time
import traceback
import weakref

import pjsua2 as pj

CLOCK_RATE = 8000  # the bridge runs at the G.711 rate: no resampling anywhere
MAX_PHONES = 8     # PJSUA_MAX_TRANSPORTS and PJSUA_MAX_ACC of the wheel
STATES = {pj.PJSIP_INV_STATE_NULL: "NULL", pj.PJSIP_INV_STATE_CALLING: "CALLING",
          pj.PJSIP_INV_STATE_INCOMING: "INCOMING", pj.PJSIP_INV_STATE_EARLY: "EARLY",
          pj.PJSIP_INV_STATE_CONNECTING: "CONNECTING", pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED",
          pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED"}
_LIVE_MEDIA = (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD)


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


def _forward(name):
    """A pjsua2 callback calling owner.<name>(prm). It must never raise into C++ (abort)."""
    def callback(self, prm):
        try:
            owner = self.owner()  # weak: the facade owns the pjsua2 object, not the reverse
            if owner is not None:
                getattr(owner, name)(prm)
        except Exception:
            traceback.print_exc()
    return callback


class _Endpoint(pj.Endpoint):
    def __init__(self, lab):
        super().__init__()
        self.owner = weakref.ref(lab)

    onSelectAccount = _forward("_select_account")


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

    def samples(self):
        return memoryview(b"".join(self.chunks)[:self.need]).cast("h").tolist()


class PhoneLab:
    """The process-wide pjsua2 endpoint plus the thread that runs it."""
    _live = None
    _live_lock = threading.Lock()

    def __init__(self):
        with PhoneLab._live_lock:
            if PhoneLab._live is not None:
                raise RuntimeError("a PhoneLab is already open: pjsua2 allows one Endpoint per "
                                   "process; reuse it (shared_lab()) or close() it first")
            PhoneLab._live = self
        self.cond = threading.Condition()
        self._jobs = queue.SimpleQueue()
        self._phones, self._calls, self._by_addr, self._graveyard, self._timers = [], [], {}, [], []
        self._ended = []  # when recent calls ended, see _throttle
        self._spare = {"tone": [], "capture": []}
        self._closed = self._stop = False
        self._error, ready = None, threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), name="pjsua", daemon=True)
        self._thread.start()
        ready.wait()
        if self._error:
            PhoneLab._live = None
            raise self._error

    # --- the pj thread -------------------------------------------------------------
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
        while not self._jobs.empty():  # fail whatever was posted during shutdown
            _, _, box, done = self._jobs.get()
            box["error"] = RuntimeError("PhoneLab is closed")
            done.set()

    def _start(self):
        level = int(os.environ.get("PHONES_LOG_LEVEL", "1"))
        ep = _Endpoint(self)
        with _quiet_stdout() if level < 4 else contextlib.nullcontext():
            ep.libCreate()  # on this thread: pjsua2 takes it as the "main" thread
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt, cfg.uaConfig.mainThreadOnly, cfg.uaConfig.maxCalls = 0, True, 32
        cfg.logConfig.level = cfg.logConfig.consoleLevel = level
        med = cfg.medConfig
        med.clockRate = med.sndClockRate = CLOCK_RATE
        med.noVad = True  # keep RTP flowing during silence (rtp_counts, silence checks)
        med.ecTailLen = 0
        med.sndAutoCloseTime = -1  # the null device's clock drives the bridge: never idle it
        ep.libInit(cfg)
        ep.audDevManager().setNullDev()
        prio = {"PCMU/8000/1": 255, "PCMA/8000/1": 254}
        for codec in ep.codecEnum2():
            ep.codecSetPriority(codec.codecId, prio.get(codec.codecId, 0))
        ep.libStart()
        return ep

    def _select_account(self, prm):
        # pjsua picks the account by To user/host and ignores ports, so UAs on one IP would
        # get each other's calls. Route by Request-URI host:port instead: that names the
        # transport (one per Phone) the peer sent to.
        m = re.match(r"\S+ sips?:(?:[^@\s]*@)?([^;:>\s]+)(?::(\d+))?", prm.rdata.wholeMsg)
        acc_id = self._by_addr.get((m[1], int(m[2] or 5060))) if m else None
        if acc_id is not None:
            prm.accountIndex = acc_id

    def _pump(self, done, timeout):
        """Process SIP events from inside a job until done() or timeout (teardown, throttle)."""
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self._ep.libHandleEvents(10)
        self._graveyard.clear()  # callbacks have returned; must also precede libDestroy

    def _throttle(self):
        # pjlib's ioqueue has 64 slots (a transport takes 1, a call leg 2: RTP and RTCP) and
        # frees a closed socket's slot only ~500 ms later; running out aborts the process.
        # So a burst of short calls waits for slots here, before placing the next call.
        def busy():
            self._ended = [t for t in self._ended if t > time.monotonic() - 0.7]
            return len(self._phones) + 2 * (len(self._calls) + len(self._ended)) > 48
        self._pump(lambda: not busy(), 2)

    def _borrow(self, kind):
        # Media ports are pooled, never destroyed: pjsua2 2.15 frees a port while the bridge
        # removes it asynchronously on its clock thread (a use-after-free window), and
        # destroying one after libDestroy asserts. A few ports leak per lab, by design.
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

    def _shutdown(self):
        for p in list(self._phones):
            p._close()  # calls, then accounts: pjsua2 asserts if they outlive libDestroy
        self._graveyard.clear()
        self._spare = {"tone": [], "capture": []}  # disowned: dropping them frees nothing
        self._ep.libDestroy()
        self._ep, self._stop = None, True

    # --- any thread ----------------------------------------------------------------
    def run(self, fn, *args):
        """Run fn(*args) on the pj thread; return its result or re-raise its exception."""
        if threading.current_thread() is self._thread:
            return fn(*args)
        if self._closed:
            raise RuntimeError("PhoneLab is closed")
        return self._post(fn, *args)

    def _post(self, fn, *args):
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

    def phone(self, user, password, registrar="127.0.0.1:5060", bind_ip="127.0.0.1",
              register=True, display_name=None):
        return Phone(self, user, bind_ip, 0, registrar.rsplit(":", 1)[0], registrar,
                     password, register, display_name)

    def agent(self, name, bind_ip, port, outbound_proxy="127.0.0.1:5080"):
        return Phone(self, name, bind_ip, port, bind_ip, outbound_proxy)

    @property
    def phones(self):
        """The open phones and agents."""
        return list(self._phones)

    def reset(self):
        """Hang up and close every phone and agent but keep the endpoint (per-test cleanup)."""
        self.run(lambda: [p._close() for p in list(self._phones)])

    def close(self):
        with PhoneLab._live_lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self._thread.is_alive():
                self._post(self._shutdown)
        finally:
            self._thread.join(10)
            with PhoneLab._live_lock:
                if PhoneLab._live is self:
                    PhoneLab._live = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


atexit.register(lambda: PhoneLab._live and PhoneLab._live.close())


class Phone:
    """A UA on its own UDP transport: a registering phone, or a trunk agent (no password)."""

    def __init__(self, lab, user, bind_ip, port, from_host, dial_host, password=None,
                 register=False, display_name=None):
        self.lab, self.user, self.bind_ip, self.port = lab, user, bind_ip, port
        self.dial_host, self.display_name, self._from_host = dial_host, display_name, from_host
        self.registered, self.last_reg_code, self.last_reg_reason = False, 0, ""
        self._incoming, self._acc, self._tid, self._retrying = [], None, None, False
        lab.run(self._setup, password, register)

    def _setup(self, password, register):  # pj thread
        if len(self.lab._phones) >= MAX_PHONES:
            raise RuntimeError(f"pjsua2 allows {MAX_PHONES} live phones/agents: close() some")
        self.lab._phones.append(self)
        try:
            ep, tc = self.lab._ep, pj.TransportConfig()
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
            self.lab._by_addr[(self.bind_ip, self.port)] = self._acc.getId()
        except BaseException:
            self._close()
            raise

    def _close(self):  # pj thread
        calls = [c for c in self.lab._calls if c.phone is self]
        for c in calls:
            with contextlib.suppress(pj.Error):
                c._op("hangup", 0)
        self.lab._pump(lambda: all(c.state == "DISCONNECTED" for c in calls), 3)
        for c in calls:
            c._release()
        self.lab._by_addr.pop((self.bind_ip, self.port), None)
        if self._acc is not None:
            self._acc.shutdown()  # before the director dies: shutdown may call back into it
            self._acc = None
        if self._tid is not None:
            with contextlib.suppress(pj.Error):
                self.lab._ep.transportClose(self._tid)
            self._tid = None
        if self in self.lab._phones:
            self.lab._phones.remove(self)
        with self.lab.cond:
            self.registered = False
            self.lab.cond.notify_all()

    def _on_reg(self, prm):
        with self.lab.cond:
            self.registered = prm.code // 100 == 2 and prm.expiration > 0
            self.last_reg_code, self.last_reg_reason = prm.code, prm.reason
            self.lab.cond.notify_all()
        if self._retrying and not self.registered:
            self.lab._timers.append((time.monotonic() + 1, self._reregister))

    def _reregister(self, retrying=None):
        # pjsua itself retries only after timeouts and 5xx/6xx, not after the 401/403 a
        # registrar gives an account it does not know yet (not provisioned so far).
        if retrying is not None:
            self._retrying = retrying
        if self._retrying and self._acc is not None and self.last_reg_code >= 300:
            with contextlib.suppress(pj.Error):  # a REGISTER already in flight
                self._acc.setRegistration(True)

    def _on_incoming(self, prm):
        call = Call(self, self._acc, prm.callId)
        call._op("answer", 180)
        with self.lab.cond:
            self._incoming.append(call)
            self.lab.cond.notify_all()

    def _make_call(self, uri, caller_id):  # pj thread
        self.lab._throttle()
        call = Call(self, self._acc, pj.PJSUA_INVALID_ID)
        local = caller_id and _name_addr(self.display_name, f"sip:{caller_id}@{self._from_host}")
        try:
            call._pj.makeCall(uri, _call_prm(local_uri=local))
        except pj.Error:
            call._release()
            raise
        call._update()
        return call

    def close(self):
        """Hang up this phone's calls and free its account and transport."""
        self.lab.run(self._close)

    def wait_registered(self, timeout=5):
        """Wait for a registration; meanwhile a failed REGISTER is retried every second."""
        self.lab.run(self._reregister, True)
        try:
            ok = self.lab.wait_for(lambda: self.registered, timeout)
        finally:
            self.lab.run(setattr, self, "_retrying", False)
        if not ok:
            raise AssertionError(f"{self.uri} not registered after {timeout}s (last REGISTER "
                                 f"response: {self.last_reg_code} {self.last_reg_reason})")

    def unregister(self, timeout=5):
        if self.registered:
            self.lab.run(lambda: self._acc.setRegistration(False))
        if not self.lab.wait_for(lambda: not self.registered, timeout):
            raise AssertionError(f"{self.uri} still registered after {timeout}s")

    def call(self, dest, caller_id=None):
        uri = dest if dest.startswith(("sip:", "sips:")) else f"sip:{dest}@{self.dial_host}"
        return self.lab.run(self._make_call, uri, caller_id)

    def wait_incoming(self, timeout=5):
        if not self.lab.wait_for(lambda: self._incoming, timeout):
            raise AssertionError(f"no incoming call for {self.uri} within {timeout}s")
        with self.lab.cond:
            return self._incoming.pop(0)

    def expect_no_incoming(self, within):
        if self.lab.wait_for(lambda: self._incoming, within):
            raise AssertionError(f"unexpected incoming call for {self.uri} "
                                 f"from {self._incoming[0].remote_uri}")

    def __repr__(self):
        return f"<Phone {getattr(self, 'uri', self.user)} on {self.bind_ip}:{self.port}>"


class Call:
    """One call leg. Its attributes are copied from callbacks, so they outlive the call."""

    def __init__(self, phone, acc, call_id):  # pj thread
        self.phone, self.lab = phone, phone.lab
        self.state, self.last_code, self.last_reason = "NULL", 0, ""
        self.remote_uri, self.remote_user, self.remote_display = "", "", ""
        self.disconnected_by_remote, self.dtmf_received = False, ""
        self._seen, self._local_end, self._rtp = {"NULL"}, False, (0, 0)
        self._tone = self._cap = None
        self._pj = _PjCall(self, acc, call_id)
        self.lab._calls.append(self)
        if call_id != pj.PJSUA_INVALID_ID:
            self._update()

    # --- pj thread -----------------------------------------------------------------
    def _live(self):
        return self._pj is not None and self.state != "DISCONNECTED"

    def _update(self, prm=None):
        if self._pj is None:
            return
        ci = self._pj.getInfo()
        state = STATES.get(ci.state, str(ci.state))
        if state == "DISCONNECTED":
            self._stats()  # last chance
        with self.lab.cond:
            self.state = state
            self._seen.add(state)
            self.last_code, self.last_reason = ci.lastStatusCode or self.last_code, ci.lastReason
            self.remote_uri = ci.remoteUri
            self.remote_display, self.remote_user = _parse_uri(ci.remoteUri)
            self.disconnected_by_remote = state == "DISCONNECTED" and not self._local_end
            self.lab.cond.notify_all()
        if state == "DISCONNECTED":
            # Delete it now: pjsua reuses call slots, and ~Call acts on its slot id. But only
            # once this callback has returned, hence the graveyard.
            self.lab._graveyard.append(self._pj)
            self.lab._ended.append(time.monotonic())
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
            self._tone = self.lab._borrow("tone")
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
            self._cap = self.lab._borrow("capture")
        self._cap.sink = rec
        aud = self._audio()
        if rec is None and aud is not None:
            aud.stopTransmit(self._cap)
        self._attach()

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
        with self.lab.cond:
            self.dtmf_received += prm.digit
            self.lab.cond.notify_all()

    def _release(self):
        """Return the media ports to the lab's pool and drop the pjsua2 call."""
        aud = None
        with contextlib.suppress(pj.Error):
            aud = self._audio()
        if self._tone is not None:
            self._tone.stop()
            if aud is not None:
                self._tone.stopTransmit(aud)
            self.lab._spare["tone"].append(self._tone)
        if self._cap is not None:
            self._cap.sink = None
            if aud is not None:
                aud.stopTransmit(self._cap)
            self.lab._spare["capture"].append(self._cap)
        self._tone = self._cap = self._pj = None
        if self in self.lab._calls:
            self.lab._calls.remove(self)

    # --- any thread ----------------------------------------------------------------
    def wait_state(self, name, timeout=5):
        """Wait until the call has been in state `name`; fails at once if it ended without."""
        assert name in STATES.values(), f"unknown call state {name!r}"
        ok = self.lab.wait_for(lambda: name in self._seen or "DISCONNECTED" in self._seen, timeout)
        if not ok or name not in self._seen:
            raise AssertionError(f"call {self.remote_uri or '?'} never reached {name} within "
                                 f"{timeout}s: state {self.state}, last SIP code "
                                 f"{self.last_code} {self.last_reason}")

    def wait_disconnected(self, timeout=5):
        self.wait_state("DISCONNECTED", timeout)

    def answer(self, code=200):
        self.lab.run(self._op, "answer", code)

    def ring(self):
        self.answer(180)

    def reject(self, code=486):
        self._local_end = True
        self.lab.run(self._op, "hangup", code)

    def hangup(self):
        if self.state != "DISCONNECTED":
            self._local_end = True
            self.lab.run(self._op, "hangup", 0)

    def send_dtmf(self, digits):
        """RFC 2833 digits; the far end's arrive in `dtmf_received`."""
        self.lab.run(lambda: self._live() and self._pj.dialDtmf(digits))

    def play_tone(self, freq_hz):
        self.lab.run(self._set_tone, freq_hz)

    def stop_tone(self):
        self.lab.run(self._set_tone, None)

    def record(self, seconds):
        """The far end's audio for `seconds` (less if the call ends): 16-bit samples at CLOCK_RATE."""
        rec = _Recording(seconds, self.lab.cond)
        self.lab.run(self._capture, rec)
        try:  # the recording window: ends when enough audio has arrived, or on disconnect
            self.lab.wait_for(lambda: rec.have >= rec.need or self.state == "DISCONNECTED",
                              seconds + 2)
        finally:
            self.lab.run(self._capture, None)
        return rec.samples()

    def hears_tone(self, freq_hz, seconds=1.5):
        return tone_present(self.record(seconds), CLOCK_RATE, freq_hz)

    def rtp_counts(self):
        """(rx_packets, tx_packets) of the audio stream; the last values once it has ended."""
        return self.lab.run(self._stats)

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


try:  # a conftest.py can do `from tests.support.phones import phone_lab`
    import pytest

    @pytest.fixture(scope="session")
    def phone_lab():
        with shared_lab() as lab:
            yield lab
except ImportError:  # the harness itself needs only pjsua2 and the stdlib
    pass
