// Auditor — replay: the customer's cards as of an instant next to today's, the
// raw event stream, and a verification of the customer's card list.
import {act, call, cardName, customerPath, el, expiry, isExpired, param, requireSession, row,
  showProblem, text, utc} from './api.js';

const s = requireSession(['auditor', 'office']);
const customer = param('customer');
const asOf = param('as_of');

// The instant exactly as replayed, microseconds included: the boundary matters here.
function exactUtc(iso) {
  return iso.replace('T', ' ').replace(/(Z|\+00:00)$/, ' UTC');
}

function cardRows(tableId, cards) {
  document.querySelector(`#${tableId} tbody`).replaceChildren(...(cards.length ? cards.map(card => row([
    cardName(card), expiry(card),
    [card.is_primary ? 'Primary' : '', isExpired(card) ? 'Expired' : ''].filter(Boolean).join(', ')]))
    : [el('tr', {}, el('td', {colspan: 3, text: 'No saved cards'}))]));
}

async function replay() {
  const path = `${customerPath(s, customer)}/payment-methods`;
  const [then, now] = await Promise.all([
    call('GET', `${path}?${new URLSearchParams({as_of: asOf})}`), call('GET', path)]);
  text('then-instant', exactUtc(then.as_of));
  cardRows('then', then.payment_methods);
  cardRows('now', now.payment_methods);
  document.getElementById('then-section').hidden = false;
  document.getElementById('now-section').hidden = false;
}

async function events() {
  const {events: stored} = await call('GET', `${customerPath(s, customer)}/events`);
  document.querySelector('#events tbody').replaceChildren(...stored.map(e => row([
    String(e.version), e.type, utc(e.timestamp),
    el('code', {text: JSON.stringify(e.data)})])));
  document.getElementById('events-section').hidden = false;
}

const verifyButton = document.getElementById('verify');
verifyButton.addEventListener('click', () => act(verifyButton, async () => {
  const result = await call('GET', `${customerPath(s, customer)}/verification`);
  const box = document.getElementById('verify-result');
  if (result.consistent) {
    box.replaceChildren(el('p', {class: 'ok', text:
      `Consistent: the events replayed to version ${result.version} give exactly the card list.`}));
  } else {
    box.replaceChildren(el('p', {class: 'bad', text: `${result.differences.length} difference(s):`}),
      el('ul', {}, ...result.differences.map(line => el('li', {text: line}))));
  }
}));

document.getElementById('replay-form').addEventListener('submit', event => {
  event.preventDefault();
  const query = {customer: document.getElementById('customer-id').value.trim(),
    as_of: document.getElementById('as-of').value.trim()};
  location.search = `?${new URLSearchParams(query)}`;
});

async function start() {
  if (!s) return;
  document.getElementById('customer-id').value = customer || '';
  document.getElementById('as-of').value = asOf || new Date().toISOString();
  if (!customer || !asOf) return;
  await replay();
  if (s.role === 'auditor') {  // the raw events and verification are for auditors
    document.getElementById('verify-section').hidden = false;
    await events();
  }
}

start().catch(showProblem);
