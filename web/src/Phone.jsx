// The softphone's panel: registration state, the call, its buttons, and (children) the
// transfer controls when the live call is on this phone.
import React from 'react';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export default function Phone({ phone, note, children }) {
  if (!phone) {
    return (
      <section className="phone">
        <h2>Softphone</h2>
        <p className="hint" data-testid="phone-state">{note || 'Loading…'}</p>
      </section>
    );
  }
  const s = phone.session;
  return (
    <section className="phone">
      <h2>Softphone</h2>
      <p data-testid="phone-state" className={'phone-' + phone.state}>
        {phone.account.login}: {phone.state}
      </p>
      {s && (
        <div className="phone-call" data-testid="phone-call">
          <p data-testid="phone-call-state">{phone.callState} {phone.peer && `· ${phone.peer}`}</p>
          {phone.incoming && phone.callState === 'ringing' && <button className="answer" onClick={() => phone.answer()}>Answer</button>}
          <button className="hangup" onClick={() => phone.hangup()}>Hang up</button>
          <button onClick={() => phone.toggleMute()}>{phone.muted ? 'Unmute' : 'Mute'}</button>
          <button onClick={() => phone.toggleHold()}>{phone.held ? 'Resume' : 'Hold'}</button>
          <div className="keypad">
            {KEYS.map((k) => <button key={k} onClick={() => phone.dtmf(k)}>{k}</button>)}
          </div>
          {children}
        </div>
      )}
    </section>
  );
}
