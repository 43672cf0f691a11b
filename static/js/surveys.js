// Surveys page: the declaration of /api/surveys for resource-page.js, and a survey's
// results: CSAT and NPS over a window (GET /api/surveys/stats), the promoters, passives and
// detractors as a chart (Chart.js from Debian), and its responses, paged and filtered.
import { api } from './api.js';
import { dialog, table, when } from './dialog.js';
import { resourcePage } from './resource-page.js';
import { el, startPage } from './shell.js';

const CHANNELS = [['web', 'Web'], ['email', 'Email'], ['sms', 'SMS'], ['ivr', 'IVR'], ['chat', 'Chat']];
const STAFF = ['super_admin', 'admin', 'manager'];
const EXAMPLE = '[{"id": "csat", "label": "How satisfied are you?", "type": "rating", "required": true}]';
let chart = null;

function figure(label, value, id) {
  return el('div', { className: 'tile' }, [el('dt', { text: label }), el('dd', { text: value, attrs: { id } })]);
}

function drawChart(canvas, s) {
  if (!window.Chart) return; // the page still reads without the chart
  if (chart) chart.destroy();
  chart = new window.Chart(canvas, {
    type: 'bar',
    data: { labels: ['Promoters (9–10)', 'Passives (7–8)', 'Detractors (0–6)'],
      datasets: [{ label: 'NPS answers', data: [s.promoters, s.passives, s.detractors], backgroundColor: ['#2e7d4f', '#9aa3b2', '#b3261e'] }] },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

async function showResults(survey) {
  const d = dialog('results-dialog', { wide: true });
  d.open(`Results of ${survey.name}`);
  d.body.replaceChildren(el('p', { className: 'muted', text: 'Loading…' }));
  try {
    const id = encodeURIComponent(survey.id);
    const [stats, responses] = await Promise.all([
      api('GET', `/surveys/stats?survey_id=${id}`), api('GET', `/surveys/${id}/responses?page_size=50`)]);
    const s = stats.data || {};
    const list = responses.data || [];
    const canvas = el('canvas', { attrs: { id: 'results-chart', role: 'img',
      'aria-label': `NPS answers: ${s.promoters} promoters, ${s.passives} passives, ${s.detractors} detractors` } });
    d.body.replaceChildren(
      el('p', { className: 'muted', text: 'The last 30 days.' }),
      el('dl', { className: 'tiles' }, [figure('Answered', String(s.responses ?? 0), 'results-responses'),
        figure('CSAT', s.csat_responses ? `${s.csat}%` : '—', 'results-csat'), figure('NPS', s.nps_responses ? String(s.nps) : '—', 'results-nps')]),
      el('div', { className: 'chart-box chart-box--small' }, [canvas]),
      table(['Answered', 'Caller', 'Score', 'Comment', 'Status'], list.map((r) => [when(r.answered_at) || 'Not yet',
        r.caller_number || '', r.nps ?? r.csat ?? r.score ?? '', r.comment || '', r.status]), 'No response yet.', { id: 'response-rows' }),
    );
    drawChart(canvas, s);
  } catch (err) {
    d.body.replaceChildren();
    d.alert(err);
  }
}

const SURVEYS = {
  title: 'Surveys',
  subtitle: 'Questions sent after a call or a chat, and what customers answered.',
  deleteNote: 'Its responses go with it.',
  path: '/surveys',
  noun: 'survey',
  writeRoles: STAFF,
  sizeParam: 'page_size',
  filters: [
    { name: 'search', label: 'Search names', type: 'search' },
    { name: 'channel', label: 'Channel', type: 'select', options: [['', 'Any channel'], ...CHANNELS] },
    { name: 'is_active', label: 'Active', type: 'select', options: [['', 'All'], ['true', 'Active'], ['false', 'Inactive']] },
  ],
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'channel', label: 'Channel', format: (v) => (CHANNELS.find(([k]) => k === v) || [v, v])[1] },
    { key: 'questions', label: 'Questions', format: (v) => (Array.isArray(v) ? String(v.length) : '') },
    { key: 'is_active', label: 'Active', format: (v) => (v ? 'Yes' : 'No') },
    { key: 'created_at', label: 'Created', format: when },
  ],
  fields: [
    { name: 'name', label: 'Name', type: 'text', required: true, maxlength: 255 },
    { name: 'description', label: 'Description', type: 'textarea' },
    { name: 'channel', label: 'Channel', type: 'select', options: CHANNELS, default: 'web' },
    { name: 'questions', label: 'Questions (JSON)', type: 'json', required: true, default: EXAMPLE,
      hint: 'Each {id, label, type: rating (1–5) | nps (0–10) | yes_no | text, required}.' },
    { name: 'is_active', label: 'Active', type: 'checkbox' },
  ],
  rowActions: [{ label: 'Results', run: showResults, roles: STAFF }],
};

const user = startPage('surveys.html');
if (user) resourcePage(SURVEYS, user);
