// The agent's desk: my state (with breaks and a reason), the call offered to me with a
// countdown to its expiry (accept or reject), and the call I am on (hold, hang up). Kept
// current from the event stream: an offer, a call or my state changing refetches them;
// my recent calls, open tickets and chats below (agent-work.js).
import { loadMyWork } from './agent-work.js';
import { api } from './api.js';
import { liveStream, showLiveState } from './live.js';
import { $, pageAction, pageAlert, startPage } from './shell.js';

const STATE_LABELS = { available: 'Available', away: 'Away', break: 'On a break', offline: 'Offline',
  busy: 'On a call', wrapup: 'Wrap-up' };
let offer = null;
let call = null;
let ticker = null;

function showState(s) {
  $('my-state').textContent = STATE_LABELS[s.state] || s.state || '–';
  $('my-reason').textContent = s.reason ? `(${s.reason})` : '';
}

async function loadState() {
  const res = await api('GET', '/agent-state/me');
  showState(res.agent_state || res.data || {});
}

function tick() {
  if (!offer) return;
  const left = Math.max(0, Math.round((new Date(offer.expires_at).getTime() - Date.now()) / 1000));
  $('offer-countdown').textContent = `${left} s`;
  if (left === 0) loadOffer().catch(pageAlert);
}

async function loadOffer() {
  const res = await api('GET', '/offers');
  const offers = res.offers || res.data || [];
  offer = offers[0] || null;
  $('offer').hidden = !offer;
  $('no-offer').hidden = Boolean(offer);
  clearInterval(ticker);
  if (!offer) return;
  $('offer-caller').textContent = offer.caller_number || 'Unknown caller';
  $('offer-queue').textContent = offer.queue_name || '';
  tick();
  ticker = setInterval(tick, 250);
}

function showCall() {
  $('call').hidden = !call;
  $('no-call').hidden = Boolean(call);
  if (!call) return;
  $('call-caller').textContent = call.caller_number || 'Unknown caller';
  $('call-status').textContent = call.on_hold ? 'on hold' : call.status;
  $('call-hold').textContent = call.on_hold ? 'Resume' : 'Hold';
}

const act = (fn) => pageAction(fn, () => Promise.all([loadOffer(), loadState()]));

function queueCallOf(res) {
  return res.queue_call || res.data || null;
}

function wire() {
  $('state-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = $('state-reason').value.trim();
    act(async () => {
      const res = await api('PUT', '/agent-state/me', { state: $('state-select').value, reason: reason || null });
      showState(res.agent_state || res.data || {});
    });
  });
  $('offer-accept').addEventListener('click', () => act(async () => {
    call = queueCallOf(await api('POST', `/offers/${encodeURIComponent(offer.id)}/accept`));
    showCall();
  }));
  $('offer-reject').addEventListener('click', () => act(() => api('POST', `/offers/${encodeURIComponent(offer.id)}/reject`)));
  $('call-hold').addEventListener('click', () => act(async () => {
    const verb = call.on_hold ? 'unhold' : 'hold';
    call = queueCallOf(await api('POST', `/queue-calls/${encodeURIComponent(call.id)}/${verb}`));
    showCall();
  }));
  $('call-hangup').addEventListener('click', () => act(async () => {
    await api('POST', `/queue-calls/${encodeURIComponent(call.id)}/hangup`, {});
    call = null;
    showCall();
  }));
}

async function main() {
  if (!startPage('agent.html', { live: true })) return;
  wire();
  showCall();
  await Promise.all([loadState(), loadOffer(), loadMyWork()]).catch(pageAlert);
  liveStream({
    onEvent: (ev) => {
      if (/^(call|agent|offer|queue)\./.test(ev.type)) Promise.all([loadOffer(), loadState()]).catch(pageAlert);
      if (/^(call\.ended|ticket\.|chat\.session)/.test(ev.type)) loadMyWork();
    },
    onState: showLiveState,
    onResume: () => loadOffer().catch(pageAlert),
  });
}

main();
