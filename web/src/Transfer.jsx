// Transfers of the operator's live call, on a desk phone or the page's softphone alike (the
// API acts on the call, not on the phone): "Transfer now" (blind) or "Talk to … first"
// (attended), then "Complete transfer" or "Cancel (back to caller)". The call and its
// transfer's state come from GET /calls/active, asked again every second while a call is
// live; a refusal shows the API's own words.
import React, { useCallback, useEffect, useState } from 'react';
import { api, get } from './api.js';

const POLL_MS = 1000;
const CONSULTING = { ringback: (t) => `Ringing ${t.to}…`,
  answered: (t) => `Talking to ${t.recipient || t.to} · the caller is on hold` };

// My live call as the API shows it, while `watching` (a call of mine is on); else null.
export function useLiveCall(me, watching) {
  const [call, setCall] = useState(null);
  const refresh = useCallback(() => get('/calls/active?employee=' + encodeURIComponent(me))
    .then((r) => setCall(r.calls.find((c) => c.employees.includes(me)) || null))
    .catch(() => {}), [me]); // a failed poll keeps what is shown; the next one retries
  useEffect(() => {
    if (!watching) { setCall(null); return undefined; }
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [watching, refresh]);
  return [call, refresh];
}

// What the buttons do to `call`; `error`: the last refusal, shown until the next try.
export function useTransfer(call, refresh) {
  const [error, setError] = useState('');
  const act = async (path, body) => {
    setError('');
    try {
      await api('POST', `/calls/${encodeURIComponent(call.call_id)}/transfer${path}`, body);
    } catch (err) {
      setError(err.message);
    }
    refresh();
  };
  return { error, start: (to, mode) => act('', { to, mode }),
    complete: () => act('/complete'), cancel: () => act('/cancel') };
}

// Whom one may transfer to in one click: a colleague's or department's row, when `can`.
export function TransferButtons({ to, can, transfer }) {
  if (!can) return null;
  return (
    <span className="transfer-to">
      <button data-testid="row-transfer-blind" onClick={() => transfer.start(to, 'blind')}>Transfer now</button>
      <button data-testid="row-transfer-attended" onClick={() => transfer.start(to, 'attended')}>Talk first</button>
    </span>
  );
}

export default function TransferControls({ call, me, transfer, people, departments }) {
  const [to, setTo] = useState('');
  const t = call.transfer;
  const error = transfer.error && <p className="error" role="alert" data-testid="transfer-error">{transfer.error}</p>;
  if (call.state !== 'talking' && call.state !== 'transferring') return null;
  if (t) {
    const mine = t.transferer === me && CONSULTING[t.state];
    return (
      <div className="transfer" data-testid="transfer">
        <span data-testid="transfer-state">
          {mine ? CONSULTING[t.state](t) : `${t.transferer} transfers the call to ${t.to}`}
        </span>
        {mine && <>
          <button className="complete" data-testid="transfer-complete" onClick={transfer.complete}>Complete transfer</button>
          <button data-testid="transfer-cancel" onClick={transfer.cancel}>Cancel (back to caller)</button>
        </>}
        {error}
      </div>
    );
  }
  const go = (mode) => to.trim() && transfer.start(to.trim(), mode);
  return (
    <div className="transfer" data-testid="transfer">
      <input data-testid="transfer-to" list="transfer-targets" value={to}
        placeholder="Transfer to: colleague, department or number" onChange={(e) => setTo(e.target.value)} />
      <datalist id="transfer-targets">
        {people.filter((p) => p.name !== me).map((p) => <option key={p.name} value={p.name}>{p.extension}</option>)}
        {departments.map((d) => <option key={d.name} value={d.name}>{d.extension}</option>)}
      </datalist>
      <button data-testid="transfer-blind" onClick={() => go('blind')}>Transfer now</button>
      <button data-testid="transfer-attended" onClick={() => go('attended')}>Talk to {to.trim() || '…'} first</button>
      {error}
    </div>
  );
}
