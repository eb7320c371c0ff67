// Office — customer record: the saved cards, autopay and its consent (read-only),
// and View History, paged, newest first.
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
  update_ignored: 'Processor update ignored', unsaved_card_detached: 'Unsaved card detached',
  autopay_settings_changed: 'Autopay settings changed', autopay_enabled: 'Autopay turned on',
  autopay_disabled: 'Autopay turned off', autopay_card_changed: 'Autopay card changed',
  autopay_attempt: 'Autopay attempt', autopay_charge: 'Autopay charge',
  expiry_reminder_sent: 'Expiry reminder sent', expiry_reminder_failed: 'Expiry reminder failed',
};
const CHANNELS = {portal: 'portal', phone: 'phone', paper: 'paper', in_person: 'in person'};

function status(card) {
  const parts = [];
  if (card.is_primary) parts.push('Primary');
  if (isExpired(card)) parts.push('Expired');
  return parts.join(', ');
}

async function showCards() {
  const {payment_methods: cards, version} = await call('GET', `${customerPath(s, customer)}/payment-methods`);
  await showAutopay(cards);
  text('cards-caption', `Customer ${customer}: ${cards.length} saved, version ${version}`);
  document.querySelector('#cards tbody').replaceChildren(...cards.map(card => row([
    cardName(card), expiry(card), status(card), utc(card.added_at), card.added_by, card.added_from])));
  document.getElementById('cards-section').hidden = false;
}

// What the customer agreed to and when: the consent autopay charges under.
async function showAutopay(cards) {
  const autopay = await call('GET', `${customerPath(s, customer)}/autopay`);
  const primary = cards.find(card => card.is_primary);
  const named = cards.find(card => card.id === autopay.payment_method_id);
  const facts = [['Status', autopay.enabled ? 'On' : 'Off']];
  if (autopay.enabled) {
    facts.push(['Charges', autopay.follows_primary ?
      `the primary card${primary ? ` (${cardName(primary)})` : ''}` : cardName(named) || autopay.payment_method_id]);
  }
  const consent = autopay.consent;
  if (consent) {
    facts.push(['Consent', `${consent.text_version} (${consent.id})`],
      ['Channel', CHANNELS[consent.channel] || consent.channel], ['Accepted at', utc(consent.accepted_at)],
      ['Accepted by', consent.accepted_by], ['From', consent.accepted_from]);
  }
  document.getElementById('autopay').replaceChildren(
    ...facts.flatMap(([term, value]) => [el('dt', {text: term}), el('dd', {text: value})]));
  document.getElementById('autopay-section').hidden = false;
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
