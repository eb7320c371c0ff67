// Portal — Payment Methods: the customer's saved cards, add (Stripe.js or the
// sandbox's named test cards), set as primary, delete, pay an invoice; autopay
// (portal_autopay.js).
import {act, actorOf, ApiError, call, cardName, customerPath, el, expiry, hidden, isExpired, minorUnits, money,
  newIdempotencyKey, param, requireSession, session, showProblem, text, utc} from './api.js';
import {autopayOn, autopaySummary, forcedDeleteExplanation, loadAutopay, setUpAutopay} from './portal_autopay.js';

const s = requireSession(['portal', 'office']);
// A portal key stays on its own customer; an office key may open any.
const customer = s && (s.role === 'portal' ? s.customer : param('customer') || s.customer);
let version;  // the customer's version last read: sent as If-Match
let cards = [];
let entry;  // how cards are entered: {processor, client_secret, ...}
let stripeCard;  // the Stripe.js card element
let stripe;

function base() {
  return `${customerPath(s, customer)}/payment-methods`;
}

async function load() {
  let listed;
  try {
    listed = await call('GET', base());
  } catch (error) {
    if (error.status !== 404) throw error;
    listed = {payment_methods: [], version: 0};  // no card yet: the first one registers the customer
  }
  version = listed.version;
  cards = listed.payment_methods;
  renderCards();
  renderPayWith();
  await loadAutopay(cards);
  await loadPayments();
}

function renderCards() {
  const list = document.getElementById('cards');
  list.replaceChildren(...cards.map(card => {
    const name = cardName(card);
    const item = el('li', {class: 'card', 'data-card-id': card.id},
      el('span', {class: 'card-name', text: name}),
      el('span', {class: 'card-expiry', text: `Expires ${expiry(card)}`}));
    if (card.is_primary) item.append(el('span', {class: 'badge primary', text: 'Primary'}));
    if (isExpired(card)) item.append(el('span', {class: 'badge expired', text: 'Expired'}));
    const actions = el('span', {class: 'actions'});
    if (!card.is_primary) {
      const primary = el('button', {type: 'button'}, 'Set as Primary', hidden(` ${name}`));
      primary.addEventListener('click', () => setPrimary(primary, card));
      actions.append(primary);
    }
    const remove = el('button', {type: 'button'}, 'Delete', hidden(` ${name}`));
    remove.addEventListener('click', () => confirmDelete(remove, card));
    actions.append(remove);
    item.append(actions);
    return item;
  }));
  document.getElementById('cards-empty').hidden = cards.length > 0;
}

function renderPayWith() {
  const select = document.getElementById('pay-with');
  const primary = cards.find(card => card.is_primary);
  const options = primary ? [el('option', {value: '', text: `Primary card: ${cardName(primary)}`})] : [];
  for (const card of cards.filter(c => !c.is_primary)) {
    options.push(el('option', {value: card.id, text: cardName(card)}));
  }
  select.replaceChildren(...options);
}

async function loadPayments() {
  let payments = [];
  try {
    payments = (await call('GET', `${customerPath(s, customer)}/payments`)).payments;
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const table = document.getElementById('payments');
  table.hidden = payments.length === 0;
  const byId = Object.fromEntries(cards.map(card => [card.id, card]));
  table.tBodies[0].replaceChildren(...payments.map(p => {
    const status = p.status === 'failed' ? `failed (${p.decline_code})` : p.status;
    return el('tr', {}, el('td', {text: utc(p.started_at)}), el('th', {scope: 'row', text: p.invoice_id}),
      el('td', {text: money(p.amount, p.currency)}),
      el('td', {text: byId[p.payment_method_id] ? cardName(byId[p.payment_method_id]) : p.payment_method_id}),
      el('td', {text: status}));
  }));
}

// --- commands ------------------------------------------------------------------

function command(method, path, options = {}) {
  return call(method, path, {actor: actorOf(s, customer), ...options});
}

// Set as Primary and Delete act on the list as the customer saw it (If-Match):
// if it changed meanwhile the API says so, and the list is read again either way.
async function setPrimary(button, card) {
  await act(button, async () => {
    try {
      await command('POST', `${base()}/${encodeURIComponent(card.id)}/primary`,
        {idempotencyKey: newIdempotencyKey('primary'), ifMatch: version});
    } finally {
      await load();
    }
    text('add-status', `${cardName(card)} is now your primary payment method.`);
  });
}

const dialog = document.getElementById('confirm-delete');
function confirmDelete(button, card) {
  text('confirm-delete-text', `Delete ${cardName(card)}? It can no longer be used to pay.`);
  dialog.returnValue = '';
  dialog.onclose = () => {
    if (dialog.returnValue !== 'delete') {
      button.focus();
      return;
    }
    deleteCard(button, card, false);
  };
  dialog.showModal();
  document.getElementById('confirm-delete-no').focus();
}

// Autopay's card (or the last card while autopay is on) is refused with 409
// card-in-use-by-autopay: that problem is shown, and "Delete anyway" sends force=true.
function refusedForAutopay(error) {
  return error instanceof ApiError && error.status === 409 && error.problem &&
    error.problem.code === 'card-in-use-by-autopay';
}

function deleteCard(button, card, force) {
  act(button, async () => {
    const wasOn = autopayOn();
    try {
      await command('DELETE', `${base()}/${encodeURIComponent(card.id)}${force ? '?force=true' : ''}`,
        {idempotencyKey: newIdempotencyKey('delete'), ifMatch: version});
    } catch (error) {
      if (!force && refusedForAutopay(error)) {
        offerForcedDelete(button, card, error.problem);  // nothing changed: no reload
        return;
      }
      await load();
      throw error;
    }
    await load();
    text('add-status', `${cardName(card)} was deleted.${wasOn ? ` ${autopaySummary()}` : ''}`);
    document.getElementById('cards-heading').focus();
  });
}

const forceDialog = document.getElementById('confirm-force-delete');
function offerForcedDelete(button, card, problem) {
  text('force-delete-title', problem.title);
  text('force-delete-detail', problem.detail || '');
  text('force-delete-explanation', forcedDeleteExplanation(card));
  forceDialog.returnValue = '';
  forceDialog.onclose = () => {
    if (forceDialog.returnValue === 'delete') deleteCard(button, card, true);
    else button.focus();
  };
  forceDialog.showModal();
  document.getElementById('force-delete-no').focus();
}

// --- adding a card: the number goes to Stripe.js, only its pm_... comes here ----

async function setUpEntry() {
  entry = await call('POST', `${base()}/setup`);
  if (entry.processor === 'sandbox') {
    const select = document.getElementById('test-card');
    select.replaceChildren(...entry.test_cards.map(c => el('option', {value: c.token, text: c.label})));
    document.getElementById('sandbox-entry').hidden = false;
  } else {
    stripe = window.Stripe(entry.publishable_key);
    stripeCard = stripe.elements().create('card');
    stripeCard.mount('#card-element');
    document.getElementById('stripe-entry').hidden = false;
  }
}

async function tokenOfNewCard() {
  if (entry.processor === 'sandbox') return document.getElementById('test-card').value;
  const secret = entry.client_secret || (await call('POST', `${base()}/setup`)).client_secret;
  entry.client_secret = null;  // a SetupIntent sets up one card
  const result = await stripe.confirmCardSetup(secret, {payment_method: {card: stripeCard}});
  if (result.error) throw new Error(result.error.message || 'Stripe could not set up the card');
  const pm = result.setupIntent.payment_method;
  return typeof pm === 'string' ? pm : pm.id;
}

function clearCardElement() {
  if (!stripeCard) return;
  if (typeof stripeCard.clear === 'function') {
    stripeCard.clear();
  } else {  // localstripe's stand-in has no clear(): mount it afresh
    stripeCard.unmount();
    stripeCard.mount('#card-element');
  }
}

const addForm = document.getElementById('add-form');
addForm.addEventListener('submit', event => {
  event.preventDefault();
  act(document.getElementById('add-button'), async () => {
    const token = await tokenOfNewCard();
    const makePrimary = document.getElementById('make-primary').checked;
    const card = await command('POST', base(), {body: {token, make_primary: makePrimary},
      idempotencyKey: newIdempotencyKey('add')});
    clearCardElement();
    addForm.reset();
    await load();
    text('add-status', `${cardName(card)} was added${card.is_primary ? ' as your primary payment method' : ''}.`);
  });
});

// --- paying ---------------------------------------------------------------------

const payForm = document.getElementById('pay-form');
payForm.addEventListener('submit', event => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(payForm));
  act(payForm.querySelector('button'), async () => {
    const body = {invoice_id: data.invoice.trim(), amount: minorUnits(data.amount),
      currency: data.currency};
    if (data.payment_method) body.payment_method_id = data.payment_method;
    const payment = await call('POST', `${customerPath(s, customer)}/payments`,
      {body, actor: actorOf(s, customer), idempotencyKey: newIdempotencyKey('pay')});
    const card = cards.find(c => c.id === payment.payment_method_id);
    const outcome = payment.status === 'succeeded' ? 'paid' : `not paid: ${payment.status}` +
      (payment.decline_code ? ` (${payment.decline_code})` : '');
    text('pay-status', `Invoice ${payment.invoice_id}, ${money(payment.amount, payment.currency)} ` +
      `with ${cardName(card)}: ${outcome}.`);
    payForm.reset();
    await load();
  });
});

// --- start --------------------------------------------------------------------------

async function start() {
  if (!s) return;
  if (!customer) {
    const form = document.getElementById('customer-form');
    form.hidden = false;
    form.addEventListener('submit', event => {
      event.preventDefault();
      location.search = `?customer=${encodeURIComponent(document.getElementById('customer-id').value.trim())}`;
    });
    return;
  }
  text('customer-line', `Customer ${customer} of ${s.company}.`);
  setUpAutopay(s, customer, `${customerPath(s, customer)}/autopay`, actorOf(s, customer), load);
  await load();
  await setUpEntry();
}

start().catch(showProblem);
