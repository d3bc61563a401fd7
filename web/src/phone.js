// The softphone: an "on PC" SIP account registered from the page over WebSocket (JsSIP),
// media over WebRTC (DTLS-SRTP) with Asterisk. One call at a time.
import JsSIP from 'jssip';

export class Softphone {
  constructor(account, onChange) {
    this.account = account;
    this.onChange = onChange;
    this.session = null;
    this.state = 'connecting';
    this.muted = false;
    this.held = false;
    this.audio = new Audio();
    this.audio.autoplay = true;
    const socket = new JsSIP.WebSocketInterface(account.ws_url);
    this.ua = new JsSIP.UA({
      sockets: [socket], uri: account.uri, password: account.password,
      register: true, session_timers: false, user_agent: 'callctl workspace',
    });
    this.ua.on('registered', () => this.set('registered'));
    this.ua.on('unregistered', () => this.set('unregistered'));
    this.ua.on('registrationFailed', (e) => this.set('failed: ' + e.cause));
    this.ua.on('disconnected', () => this.set('disconnected'));
    this.ua.on('newRTCSession', (e) => this.attach(e.session, e.originator === 'remote'));
    this.ua.start();
  }

  set(state) { this.state = state; this.onChange(); }

  attach(session, incoming) {
    if (this.session) { session.terminate({ status_code: 486 }); return; }
    this.session = session;
    this.incoming = incoming;
    this.peer = incoming ? session.remote_identity.uri.user : null;
    this.callState = incoming ? 'ringing' : 'calling';
    this.muted = this.held = false;
    const media = () => {
      session.connection.addEventListener('track', (ev) => { this.audio.srcObject = ev.streams[0]; });
    };
    if (session.connection) media(); else session.on('peerconnection', media);
    session.on('accepted', () => { this.callState = 'talking'; this.onChange(); });
    session.on('confirmed', () => { this.callState = 'talking'; this.onChange(); });
    const end = () => { this.session = null; this.callState = null; this.onChange(); };
    session.on('ended', end);
    session.on('failed', end);
    this.onChange();
  }

  call(target) {
    const host = new URL(this.account.uri.replace('sip:', 'http://')).hostname;
    this.ua.call(`sip:${target}@${host}`, { mediaConstraints: { audio: true, video: false },
      rtcOfferConstraints: { offerToReceiveAudio: true } });
    this.peer = target;
    this.onChange();
  }

  answer() { this.session?.answer({ mediaConstraints: { audio: true, video: false } }); }
  hangup() { this.session?.terminate(); }

  toggleMute() {
    if (!this.session) return;
    this.muted ? this.session.unmute({ audio: true }) : this.session.mute({ audio: true });
    this.muted = !this.muted;
    this.onChange();
  }

  toggleHold() {
    if (!this.session) return;
    this.held ? this.session.unhold() : this.session.hold();
    this.held = !this.held;
    this.onChange();
  }

  dtmf(key) { this.session?.sendDTMF(key, { transportType: 'RFC2833' }); }

  stop() { this.ua.stop(); }
}
