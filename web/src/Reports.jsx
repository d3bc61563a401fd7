// Managers' report: per employee, calls in (answered, missed), out, and talk time.
import React, { useEffect, useRef, useState } from 'react';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { get, query } from './api.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const day = (d) => d.toISOString().slice(0, 10);
const minutes = (s) => Math.round((s / 60) * 10) / 10;

export default function Reports() {
  const [since, setSince] = useState(day(new Date(Date.now() - 6 * 864e5)));
  const [until, setUntil] = useState('');
  const [rows, setRows] = useState([]);
  const [error, setError] = useState('');
  const canvas = useRef(null);
  useEffect(() => {
    setError('');
    const end = until ? day(new Date(Date.parse(until) + 864e5)) : '';
    get('/reports/employees?' + query({ since, until: end }))
      .then((r) => setRows(r.employees)).catch((err) => setError(err.message));
  }, [since, until]);
  useEffect(() => {
    if (!canvas.current) return undefined;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.employee),
        datasets: [
          { label: 'answered', data: rows.map((r) => r.answered), backgroundColor: '#2e9d57', stack: 'in' },
          { label: 'missed', data: rows.map((r) => r.missed), backgroundColor: '#d64545', stack: 'in' },
          { label: 'outgoing', data: rows.map((r) => r.outgoing), backgroundColor: '#3a6fd8', stack: 'out' },
          { label: 'talk time (min)', data: rows.map((r) => minutes(r.talk_seconds + r.outgoing_talk_seconds)),
            backgroundColor: '#e0a526', yAxisID: 'minutes', stack: 'talk' },
        ],
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: 'calls' }, ticks: { precision: 0 } },
          minutes: { position: 'right', beginAtZero: true, title: { display: true, text: 'minutes' }, grid: { drawOnChartArea: false } } },
      },
    });
    return () => chart.destroy();
  }, [rows]);
  return (
    <main className="reports">
      <h2>Calls per employee</h2>
      <p>
        <label>From <input type="date" data-testid="since" value={since} onChange={(e) => setSince(e.target.value)} /></label>
        <label>to <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} /></label>
      </p>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="chart"><canvas ref={canvas} data-testid="chart" /></div>
      <table data-testid="report">
        <thead><tr><th>Employee</th><th>Incoming</th><th>Answered</th><th>Missed</th><th>Outgoing</th><th>Talk time (min)</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.employee}><td>{r.employee}</td><td>{r.incoming}</td><td>{r.answered}</td>
              <td>{r.missed}</td><td>{r.outgoing}</td><td>{minutes(r.talk_seconds + r.outgoing_talk_seconds)}</td></tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
