import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, get, setCsrf, ApiError } from './api.js';
import Workspace from './Workspace.jsx';
import Reports from './Reports.jsx';
import './style.css';

function SignIn({ onIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      onIn(await api('POST', '/session', { email, password }));
    } catch (err) {
      setError(err.message);
    }
  };
  return (
    <form className="signin" onSubmit={submit}>
      <h1>callctl</h1>
      <label>E-mail <input type="email" name="email" value={email} required autoComplete="username"
        onChange={(e) => setEmail(e.target.value)} /></label>
      <label>Password <input type="password" name="password" value={password} required
        autoComplete="current-password" onChange={(e) => setPassword(e.target.value)} /></label>
      <button type="submit">Sign in</button>
      {error && <p className="error" role="alert">{error}</p>}
      <p className="hint">New here? Open the link in your invitation e-mail to choose a password.</p>
    </form>
  );
}

function App() {
  const [me, setMe] = useState(undefined); // undefined: asking; null: signed out
  const [page, setPage] = useState('workspace');
  const signedIn = (session) => { setCsrf(session.csrf_token); setMe(session); };
  useEffect(() => {
    get('/session').then(signedIn).catch((err) => {
      if (err instanceof ApiError && err.status === 401) setMe(null); else throw err;
    });
  }, []);
  if (me === undefined) return <p>Loading…</p>;
  if (me === null) return <SignIn onIn={signedIn} />;
  const signOut = async () => { await api('DELETE', '/session'); setCsrf(null); setMe(null); };
  const manager = me.access_level !== 'operator';
  return (
    <div className="app">
      <nav>
        <strong>callctl</strong>
        <button className={page === 'workspace' ? 'on' : ''} onClick={() => setPage('workspace')}>Workspace</button>
        {manager && <button className={page === 'reports' ? 'on' : ''} onClick={() => setPage('reports')}>Reports</button>}
        <span className="who" data-testid="who">{me.employee} ({me.access_level})</span>
        <button onClick={signOut}>Sign out</button>
      </nav>
      {page === 'reports' && manager ? <Reports /> : <Workspace me={me} />}
    </div>
  );
}

createRoot(document.getElementById('root')).render(<App />);
