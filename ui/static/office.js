// Office — customer record: the saved cards and View History, paged, newest first.
import {call, cardName, customerPath, el, expiry, hidden, isExpired, param, requireSession, row,
  showProblem, text, utc} from './api.js';

const s = requireSession(['office', 'auditor']);
const customer = param('customer');
const PAGE_SIZE = Number(param('page_size')) || 20;
const pages = [null];  // the `before` of each page shown so far; null: the newest

const ACTIONS = {
  added: 'Card added', set_primary: 'Set as primary', deleted: 'Card deleted',
  updated: 'Card updated by the processor', online_payments_enabled: 'Online payments switched on',
  online_payments_disabled: 'Online payments switched off',
  payment_succeeded: 'Invoice paid', payment_failed: 'Payment failed',
};

function status(card) {
  const parts = [];
  if (card.is_primary) parts.push('Primary');
  if (isExpired(card)) parts.push('Expired');
  return parts.join(', ');
}

async function showCards() {
  const {payment_methods: cards, version} = await call('GET', `${customerPath(s, customer)}/payment-methods`);
  text('cards-caption', `Customer ${customer}: ${cards.length} saved, version ${version}`);
  document.querySelector('#cards tbody').replaceChildren(...cards.map(card => row([
    cardName(card), expiry(card), status(card), utc(card.added_at), card.added_by, card.added_from])));
  document.getElementById('cards-section').hidden = false;
}

async function showHistory() {
  const before = pages[pages.length - 1];
  const query = new URLSearchParams({limit: String(PAGE_SIZE)});
  if (before !== null) query.set('before', String(before));
  const page = await call('GET', `${customerPath(s, customer)}/payment-methods/history?${query}`);
  document.querySelector('#history tbody').replaceChildren(...page.history.map(entry => {
    const replay = el('a', {href: `/ui/audit?${new URLSearchParams({customer, as_of: entry.at})}`},
      'Replay as of this', hidden(` (${utc(entry.at)})`));
    return row([utc(entry.at), ACTIONS[entry.action] || entry.action,
      cardName(entry.payment_method), entry.actor, entry.source,
      entry.company_wide ? `${entry.detail} (company-wide)`.trim() : entry.detail, replay]);
  }));
  const older = document.getElementById('older');
  older.disabled = page.next_before === null;
  older.dataset.before = page.next_before ?? '';
  document.getElementById('newest').disabled = pages.length === 1;
  text('page-label', `Page ${pages.length}`);
  document.getElementById('history-section').hidden = false;
}

document.getElementById('older').addEventListener('click', event => {
  pages.push(Number(event.currentTarget.dataset.before));
  showHistory().catch(showProblem);
});
document.getElementById('newest').addEventListener('click', () => {
  pages.splice(1);
  showHistory().catch(showProblem);
});

document.getElementById('customer-form').addEventListener('submit', event => {
  event.preventDefault();
  const id = document.getElementById('customer-id').value.trim();
  location.search = `?${new URLSearchParams({customer: id})}`;
});

async function start() {
  if (!s || !customer) return;
  document.getElementById('customer-id').value = customer;
  await showCards();
  await showHistory();
}

start().catch(showProblem);
