// Portal — the Autopay section: whether autopay is on and which card it
// charges, the agreement shown in full, turning autopay on (with the
// customer's consent) or off; and what deleting autopay's card would do.
import {act, call, cardName, el, isExpired, newIdempotencyKey, text, utc} from './api.js';
import {AUTOPAY_CONSENT_VERSION, consentParagraphs} from './consent.js';

// How the consent was given: the customer on this page, or (an office key on
// the customer's behalf) what the office user picks in #autopay-channel.
const CHANNELS = {phone: 'by phone', paper: 'on paper', in_person: 'in person', portal: 'in the portal'};

let autopay = {enabled: false, payment_method_id: null, consent: null, version: 0};
let context;  // {s, customer, path, actor, reload, cards}

export function autopayOn() {
  return autopay.enabled;
}

export function setUpAutopay(s, customer, path, actor, reload) {
  context = {s, customer, path, actor, reload, cards: []};
  const paragraphs = consentParagraphs(AUTOPAY_CONSENT_VERSION, s.company);
  document.getElementById('consent-text').replaceChildren(...paragraphs.map(p => el('p', {text: p})));
  text('consent-version', `(${AUTOPAY_CONSENT_VERSION})`);
  if (s.role === 'office') addChannelChoice();
  document.getElementById('autopay-form').addEventListener('submit', turnOn);
  document.getElementById('autopay-off').addEventListener('click', turnOff);
}

function addChannelChoice() {
  const select = el('select', {id: 'autopay-channel', name: 'channel'},
    ...['phone', 'paper', 'in_person'].map(c => el('option', {value: c, text: `The customer agreed ${CHANNELS[c]}`})));
  document.querySelector('#autopay-form .check').before(
    el('label', {for: 'autopay-channel', text: 'How the customer agreed'}), select);
}

export async function loadAutopay(cards) {
  context.cards = cards;
  try {
    autopay = await call('GET', context.path);
  } catch (error) {
    if (error.status !== 404) throw error;
    autopay = {enabled: false, payment_method_id: null, consent: null, version: 0};  // no customer yet
  }
  render();
}

function primaryCard() {
  return context.cards.find(card => card.is_primary);
}

// "your primary card (Visa •••• 4242)" or the card autopay names.
function chargedCard() {
  if (autopay.payment_method_id === null) {
    const primary = primaryCard();
    return primary ? `your primary card (${cardName(primary)})` : 'your primary card';
  }
  const card = context.cards.find(c => c.id === autopay.payment_method_id);
  return card ? cardName(card) : autopay.payment_method_id;
}

export function autopaySummary() {
  return autopay.enabled ? `Autopay is on: it charges ${chargedCard()}.` :
    'Autopay is off: invoices are paid only when you pay them.';
}

function render() {
  const usable = context.cards.filter(card => !isExpired(card));
  text('autopay-state', autopaySummary());
  const consent = autopay.enabled && autopay.consent;
  const line = document.getElementById('autopay-consent-line');
  line.hidden = !consent;
  line.textContent = consent ? `Agreed to ${consent.text_version} on ${utc(consent.accepted_at)}, ` +
    `${CHANNELS[consent.channel] || consent.channel}, by ${consent.accepted_by}.` : '';
  const select = document.getElementById('autopay-card');
  select.replaceChildren(el('option', {value: '', text: 'Always my primary card'}),
    ...usable.map(card => el('option', {value: card.id, text: cardName(card)})));
  select.value = autopay.enabled && autopay.payment_method_id ? autopay.payment_method_id : '';
  document.getElementById('autopay-form').hidden = usable.length === 0;
  document.getElementById('autopay-needs-card').hidden = usable.length > 0;
  document.getElementById('autopay-on').textContent = autopay.enabled ? 'Change autopay card' : 'Turn on autopay';
  document.getElementById('autopay-off').hidden = !autopay.enabled;
  document.getElementById('autopay-section').hidden = false;
}

function put(body) {
  return call('PUT', context.path, {body, actor: context.actor, ifMatch: autopay.version,
    idempotencyKey: newIdempotencyKey('autopay')});
}

function turnOn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  act(document.getElementById('autopay-on'), async () => {
    if (!document.getElementById('autopay-agree').checked) {
      throw new Error('Tick "I have read the autopay agreement above and agree to it" to turn autopay on.');
    }
    const channel = document.getElementById('autopay-channel');
    try {
      await put({enabled: true, payment_method_id: document.getElementById('autopay-card').value || null,
        consent: {text_version: AUTOPAY_CONSENT_VERSION, channel: channel ? channel.value : 'portal'}});
    } finally {
      await context.reload();
    }
    form.reset();
    render();
    text('autopay-status', autopaySummary());
  });
}

function turnOff(event) {
  act(event.currentTarget, async () => {
    try {
      await put({enabled: false});
    } finally {
      await context.reload();
    }
    text('autopay-status', autopaySummary());
    document.getElementById('autopay-heading').focus();  // the button just pressed is now hidden
  });
}

// Why deleting `card` anyway is safe, in the customer's words (docs/autopay.md).
export function forcedDeleteExplanation(card) {
  if (context.cards.length === 1) {
    return 'If you delete it anyway, autopay is turned off: no card would be left for it to charge.';
  }
  if (card.is_primary) {
    return 'If you delete it anyway, another of your cards becomes your primary card, and autopay ' +
      'charges your primary card from then on.';
  }
  return `If you delete it anyway, autopay charges your primary card (${cardName(primaryCard())}) ` +
    'from then on.';
}
