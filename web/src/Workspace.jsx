// The operator's screen: status lamp, dial box, colleagues, today's calls, clients, phone.
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { api, get } from './api.js';
import { Softphone } from './phone.js';
import Clients from './Clients.jsx';
import Phone from './Phone.jsx';
import TransferControls, { TransferButtons, useLiveCall, useTransfer } from './Transfer.jsx';

const STATE_TEXT = { available: 'available', on_call: 'on a call', unreachable: 'no phone on line', offline: 'off line' };

function StatusLamp({ online, onToggle }) {
  return (
    <button data-testid="status" className={'lamp ' + (online ? 'online' : 'offline')} onClick={onToggle}
      title="Offline people are not rung">
      {online ? 'ON LINE' : 'OFFLINE'}
    </button>
  );
}

function Departments({ departments, onCall, transfer }) {
  if (departments.length === 0) return null;
  return (
    <ul className="departments">
      {departments.map((d) => (
        <li key={d.name} data-testid={'department-' + d.name}
          className={'state-' + (d.available ? 'available' : 'unreachable')}>
          <span className="dot" />
          <button className="link" onClick={() => onCall(d.extension)} title={'Call ' + d.extension}>
            {d.name}
          </button>
          <small>{d.extension} · <em data-testid="department-state">{d.available} of {d.members} available</em></small>
          <TransferButtons to={d.name} can={transfer.can && d.available > 0} transfer={transfer} />
        </li>
      ))}
    </ul>
  );
}

function Colleagues({ people, departments, me, onCall, transfer }) {
  return (
    <section className="colleagues">
      <h2>Colleagues</h2>
      <Departments departments={departments} onCall={onCall} transfer={transfer} />
      <ul>
        {people.filter((p) => p.name !== me).map((p) => (
          <li key={p.name} data-testid={'colleague-' + p.name} className={'state-' + p.state}>
            <span className="dot" title={STATE_TEXT[p.state]} />
            <button className="link" onClick={() => onCall(p.extension)} title={'Call ' + p.extension}>
              {p.name}
            </button>
            <small>{p.extension} · {p.department || 'no department'} · <em data-testid="colleague-state">{STATE_TEXT[p.state]}</em></small>
            <TransferButtons to={p.name} can={transfer.can && p.state === 'available'} transfer={transfer} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function TodayCalls({ calls }) {
  const time = (iso) => (iso ? iso.slice(11, 16) : '');
  return (
    <section className="calls">
      <h2>Today's calls</h2>
      <table>
        <tbody>
          {calls.map((c) => {
            const missed = c.outcome === 'missed' || c.missed_by_me;
            return (
              <tr key={c.id} data-testid="call-row" className={missed ? 'missed' : ''}>
                <td>{time(c.started_at)}</td>
                {c.direction === 'outgoing'  // the customer called, not one's own phone's login
                  ? <><td>↗ {c.number}</td><td /></>
                  : <><td>{c.direction === 'inbound' ? '↘' : '↗'} {c.caller}</td><td>{c.number}</td></>}
                <td>{c.answered_by || c.employee || ''}</td>
                <td data-testid="call-outcome">{missed ? 'missed' : c.outcome}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {calls.length === 0 && <p className="hint">No calls yet today.</p>}
    </section>
  );
}

export default function Workspace({ me }) {
  const [online, setOnline] = useState(null);
  const [people, setPeople] = useState([]);
  const [departments, setDepartments] = useState([]);
  const [calls, setCalls] = useState([]);
  const [ended, setEnded] = useState(0); // calls ended so far: an open card's history reloads
  const [pop, setPop] = useState(null); // {call, card}
  const [active, setActive] = useState(null); // the call I am on: {id, peer}
  const [notice, setNotice] = useState('');
  const [dial, setDial] = useState('');
  const [, redraw] = useState(0);
  const phone = useRef(null);
  const [phoneNote, setPhoneNote] = useState('');
  const onPhone = phone.current?.session;
  const [mine, refreshMine] = useLiveCall(me.employee, Boolean(active || onPhone));
  const transfer = { ...useTransfer(mine, refreshMine),
    can: Boolean(mine && mine.state === 'talking' && !mine.transfer) };
  const seen = useRef(null); // the live call last seen mine: gone from the list, I left it
  useEffect(() => {
    if (mine) seen.current = mine.call_id;
    else if (seen.current) {
      const left = seen.current;
      seen.current = null;
      setActive((a) => (a && a.id === left ? null : a));
    }
  }, [mine]);

  const loadCalls = useCallback(() => get('/workspace/calls').then((r) => setCalls(r.calls)), []);

  useEffect(() => {
    get('/me').then((r) => setOnline(r.employee.online));
    loadCalls();
    get('/workspace/softphone')
      .then((account) => { phone.current = new Softphone(account, () => redraw((n) => n + 1)); })
      .catch((err) => setPhoneNote(err.message));
    const source = new EventSource('/api/v1/workspace/events');
    const on = (type, fn) => source.addEventListener(type, (e) => fn(JSON.parse(e.data)));
    const replace = (item) => (all) => [...all.filter((x) => x.name !== item.name), item]
      .sort((a, b) => a.name.localeCompare(b.name));
    on('hello', (e) => { setPeople(e.colleagues); setDepartments(e.departments); });
    on('colleague', (c) => setPeople(replace(c)));
    on('department', (d) => setDepartments(replace(d)));
    on('ringing', (e) => { if (e.employee === me.employee) setPop({ call: e, card: e.card }); });
    on('incoming', (e) => { if (e.direction !== 'inbound') setActive({ id: e.call_id, peer: e.number }); });
    on('answered', (e) => {
      if (e.employee === me.employee) setActive({ id: e.call_id, peer: e.caller });
      loadCalls();
    });
    on('ended', (e) => {
      setActive((a) => (a && a.id === e.call_id ? null : a));
      setEnded((n) => n + 1);
      loadCalls();
    });
    return () => { source.close(); phone.current?.stop(); };
  }, [me.employee, loadCalls]);

  const toggle = async () => {
    const r = await api('PUT', '/workspace/status', { online: !online });
    setOnline(r.online);
  };

  const call = async (to) => {
    setNotice('');
    if (!to) return;
    if (phone.current && phone.current.state === 'registered') {
      phone.current.call(to);
      return;
    }
    try {
      await api('POST', '/calls', { from: me.employee, to });
      setNotice(`Your phone rings first; answer it to call ${to}.`);
    } catch (err) {
      setNotice(err.message);
    }
  };

  const controls = mine && <TransferControls call={mine} me={me.employee} transfer={transfer}
    people={people} departments={departments} />;
  return (
    <main className="workspace">
      <header>
        <StatusLamp online={online} onToggle={toggle} />
        <form className="dial" onSubmit={(e) => { e.preventDefault(); call(dial.trim()); }}>
          <input data-testid="dial" placeholder="Number or extension" value={dial}
            onChange={(e) => setDial(e.target.value)} />
          <button type="submit">Call</button>
        </form>
        {active && (
          <span className="active" data-testid="active-call">On a call with {active.peer}</span>
        )}
        {notice && <span className="notice" role="status" data-testid="notice">{notice}</span>}
        {!onPhone && controls}
      </header>
      <div className="columns">
        <div className="left">
          <Phone phone={phone.current} note={phoneNote}>{onPhone && controls}</Phone>
          <Colleagues people={people} departments={departments} me={me.employee} onCall={call}
            transfer={transfer} />
        </div>
        <div className="middle">
          <Clients pop={pop} onPopClosed={() => setPop(null)} onCall={call} callsEnded={ended} />
        </div>
        <div className="right">
          <TodayCalls calls={calls} />
        </div>
      </div>
    </main>
  );
}
