// Clients: quick and extended search, a card edited in place with its history, the
// screen pop, and the merge of two cards with the differing fields chosen by the operator.
import React, { useEffect, useState } from 'react';
import { api, get, query } from './api.js';

const FIELDS = ['name', 'company', 'address', 'comment'];
const EXTENDED = ['name', 'company', 'address', 'phone'];

function Search({ onOpen, onResults }) {
  const [q, setQ] = useState('');
  const [more, setMore] = useState({});
  const [error, setError] = useState('');
  const run = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const r = await get('/clients?' + query({ q, ...more }));
      onResults(r.clients);
    } catch (err) {
      setError(err.message);
    }
  };
  return (
    <form className="search" onSubmit={run}>
      <input data-testid="search-q" placeholder="Find a client by phone, name, company, address"
        value={q} onChange={(e) => setQ(e.target.value)} />
      <details>
        <summary>Extended search</summary>
        {EXTENDED.map((f) => (
          <label key={f}>{f} <input data-testid={'search-' + f} value={more[f] || ''}
            onChange={(e) => setMore({ ...more, [f]: e.target.value })} /></label>
        ))}
      </details>
      <button type="submit">Search</button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}

function Card({ id, banner, others, onCall, onMerged, onClose, callsEnded }) {
  const [card, setCard] = useState(null);
  const [edit, setEdit] = useState(null);
  const [history, setHistory] = useState([]);
  const [error, setError] = useState('');
  const [mergeWith, setMergeWith] = useState('');
  const loadCard = () => { get(`/clients/${id}`).then(setCard); };
  const loadHistory = () => { get(`/clients/${id}/calls`).then((r) => setHistory(r.calls)); };
  const load = () => { loadCard(); loadHistory(); };
  useEffect(loadCard, [id]);
  useEffect(loadHistory, [id, callsEnded]); // a call just ended: it may be this client's
  if (!card) return <p>Loading card…</p>;
  const save = async () => {
    setError('');
    const body = { ...edit, phones: split(edit.phones), emails: split(edit.emails) };
    try {
      setCard({ ...card, ...(await api('PATCH', `/clients/${id}`, body)) });
      setEdit(null);
    } catch (err) {
      setError(err.message);
    }
  };
  return (
    <article className="card" data-testid="card">
      {banner && <p className="banner" data-testid="screen-pop">{banner}</p>}
      <button className="close" data-testid="pop-close" onClick={onClose} title="Close">×</button>
      {edit ? (
        <div className="edit">
          {[...FIELDS, 'phones', 'emails'].map((f) => (
            <label key={f}>{f}
              {f === 'comment'
                ? <textarea data-testid={'edit-' + f} value={edit[f] || ''} onChange={(e) => setEdit({ ...edit, [f]: e.target.value })} />
                : <input data-testid={'edit-' + f} value={edit[f] || ''} onChange={(e) => setEdit({ ...edit, [f]: e.target.value })} />}
            </label>
          ))}
          <button data-testid="save" onClick={save}>Save</button>
          <button onClick={() => setEdit(null)}>Cancel</button>
          {error && <p className="error" role="alert">{error}</p>}
        </div>
      ) : (
        <div onDoubleClick={() => setEdit(editable(card))}>
          <h3 data-testid="card-name">{card.name}</h3>
          <p data-testid="card-company">{card.company}</p>
          <p data-testid="card-address">{card.address}</p>
          <p>{card.phones.map((p) => <button key={p} className="link" onClick={() => onCall(p)}>{p}</button>)}</p>
          <p>{card.emails.join(', ')}</p>
          <p className="comment" data-testid="card-comment">{card.comment}</p>
          <button data-testid="edit" onClick={() => setEdit(editable(card))}>Edit</button>
        </div>
      )}
      {card.entities?.length > 0 && (
        <ul className="entities">
          {card.entities.map((e) => <li key={e.id}>{e.kind}: {e.title} ({e.state}{e.responsible ? ', ' + e.responsible : ''})</li>)}
        </ul>
      )}
      <h4>History</h4>
      <ul className="history" data-testid="history">
        {history.map((c) => <li key={c.id}>{c.started_at?.slice(0, 16).replace('T', ' ')} · {c.number} · {c.outcome}{c.answered_by ? ' · ' + c.answered_by : ''}</li>)}
        {history.length === 0 && <li className="hint">No calls yet.</li>}
      </ul>
      {others.length > 0 && (
        <p className="merge-pick">
          Same client as <select data-testid="merge-with" value={mergeWith} onChange={(e) => setMergeWith(e.target.value)}>
            <option value="">another card…</option>
            {others.map((o) => <option key={o.id} value={o.id}>{o.name} (#{o.id})</option>)}
          </select>
        </p>
      )}
      {mergeWith && <Merge keep={card} dropId={Number(mergeWith)} onDone={() => { onMerged(Number(mergeWith)); setMergeWith(''); load(); }} />}
    </article>
  );
}

function Merge({ keep, dropId, onDone }) {
  const [drop, setDrop] = useState(null);
  const [choices, setChoices] = useState({});
  const [error, setError] = useState('');
  useEffect(() => { get(`/clients/${dropId}`).then(setDrop); }, [dropId]);
  if (!drop) return null;
  const differ = FIELDS.filter((f) => keep[f] && drop[f] && keep[f] !== drop[f]);
  const merge = async () => {
    setError('');
    try {
      onDone(await api('POST', '/clients/merge', { keep: keep.id, drop: drop.id, choices }));
    } catch (err) {
      setError(err.message);
    }
  };
  return (
    <div className="merge" data-testid="merge">
      <h4>Merge #{drop.id} into #{keep.id}</h4>
      <p className="hint">Phones, e-mails, deals and tasks of both are kept.{differ.length > 0 && ' Where the cards differ, choose:'}</p>
      {differ.map((f) => (
        <fieldset key={f} data-testid={'conflict-' + f}>
          <legend>{f}</legend>
          {[keep, drop].map((c) => (
            <label key={c.id}><input type="radio" name={f} checked={choices[f] === c.id}
              onChange={() => setChoices({ ...choices, [f]: c.id })} /> {c[f]}</label>
          ))}
        </fieldset>
      ))}
      <button data-testid="merge-go" onClick={merge}>Merge</button>
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}

const split = (text) => (text || '').split(',').map((s) => s.trim()).filter(Boolean);
const editable = (card) => ({ name: card.name, company: card.company || '', address: card.address || '',
  comment: card.comment || '', phones: card.phones.join(', '), emails: card.emails.join(', ') });

export default function Clients({ pop, onPopClosed, onCall, callsEnded }) {
  const [results, setResults] = useState([]);
  const [open, setOpen] = useState(null);
  const shown = pop?.card ? pop.card.id : open;
  const name = pop?.call.caller_name && pop.call.caller_name !== pop.call.caller ? ` · ${pop.call.caller_name}` : '';
  const banner = pop && `Incoming call from ${pop.call.caller}${name}${pop.card?.new ? ' (new client)' : ''}`;
  return (
    <section className="clients">
      <h2>Clients</h2>
      {pop && !pop.card && (  // a caller without a usable number: no card to show
        <p className="banner alone" data-testid="screen-pop">{banner}
          <button data-testid="pop-close" className="close" onClick={onPopClosed}>×</button></p>
      )}
      <Search onResults={setResults} />
      <ul className="results" data-testid="results">
        {results.map((c) => (
          <li key={c.id}><button className="link" onClick={() => { onPopClosed(); setOpen(c.id); }}>
            {c.name}</button> <small>{[c.company, c.phones.join(', '), c.address].filter(Boolean).join(' · ')}</small></li>
        ))}
      </ul>
      {shown && <Card key={shown + (banner || '')} id={shown} banner={pop?.card && banner}
        others={results.filter((c) => c.id !== shown)} onCall={onCall}
        onMerged={(gone) => setResults((rs) => rs.filter((r) => r.id !== gone))}
        onClose={() => { onPopClosed(); setOpen(null); }} callsEnded={callsEnded} />}
    </section>
  );
}
