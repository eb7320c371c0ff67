// The public HTTP API as the pages call it, and the few DOM helpers they share.
// Every value from the API reaches the page through textContent (el/text below),
// never parsed as markup.

const SESSION = 'cardledger.session';

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION));
  } catch {
    return null;
  }
}

export function saveSession(value) {
  sessionStorage.setItem(SESSION, JSON.stringify(value));
}

export function signOut() {
  sessionStorage.removeItem(SESSION);
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.title) || `The API answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function call(method, path, {body, actor, idempotencyKey, ifMatch, key} = {}) {
  const headers = {Accept: 'application/json', Authorization: `Bearer ${key || session().key}`};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (actor) headers['X-Actor'] = actor;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (ifMatch !== undefined) headers['If-Match'] = `"${ifMatch}"`;
  const response = await fetch(path, {
    method, headers, cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function companyPath(s) {
  return `/v1/companies/${encodeURIComponent(s.company)}`;
}

export function customerPath(s, customer) {
  return `${companyPath(s)}/customers/${encodeURIComponent(customer)}`;
}

// Who the commands say is acting: a portal key acts only as its customer.
export function actorOf(s, customer) {
  return s.role === 'portal' ? `customer:${customer}` : `user:${s.user}`;
}

// Letters only (24 of them: 112 random bits). A UUID's digit runs now and then
// read as a card number to the API's guard, which would refuse the request.
export function newIdempotencyKey(action) {
  const letters = Array.from(crypto.getRandomValues(new Uint8Array(24)),
    byte => String.fromCharCode(97 + (byte % 26)));
  return `ui-${action}-${letters.join('')}`;
}

// --- DOM -------------------------------------------------------------------

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Text for screen readers only: tells apart controls that look alike on screen
// ("Delete" on each card), keeping the visible words first in the name.
export function hidden(value) {
  return el('span', {class: 'visually-hidden', text: value});
}

export function text(id, value) {
  document.getElementById(id).textContent = value;
}

export function showProblem(error) {
  const box = document.getElementById('problem');
  box.replaceChildren();
  if (error instanceof ApiError && error.problem) {
    box.append(el('strong', {text: error.problem.title}));
    if (error.problem.detail && error.problem.detail !== error.problem.title) {
      box.append(el('span', {text: ` ${error.problem.detail}`}));
    }
  } else {
    box.append(el('strong', {text: error.message || String(error)}));
  }
  box.hidden = false;
}

export function clearProblem() {
  const box = document.getElementById('problem');
  box.hidden = true;
  box.replaceChildren();
}

// Runs an action with its button disabled; a failure is shown as the API's problem.
export async function act(button, action) {
  clearProblem();
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    showProblem(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// --- formatting ------------------------------------------------------------

const BRANDS = {visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express',
  discover: 'Discover', diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay'};

export function cardName(card) {
  if (!card) return '';
  const brand = BRANDS[card.brand] || card.brand || 'Card';
  return card.last4 ? `${brand} •••• ${card.last4}` : brand;
}

export function expiry(card) {
  return `${String(card.exp_month).padStart(2, '0')}/${card.exp_year}`;
}

// A card is usable through the last day of its expiry month.
export function isExpired(card, today = new Date()) {
  const year = today.getUTCFullYear();
  const month = today.getUTCMonth() + 1;
  return card.exp_year < year || (card.exp_year === year && card.exp_month < month);
}

export function utc(iso) {
  const when = new Date(iso);
  return `${when.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const MINOR = 100; // the currencies offered all have two decimals

export function money(amount, currency) {
  return `${(amount / MINOR).toFixed(2)} ${currency.toUpperCase()}`;
}

export function minorUnits(text) {
  const [whole, cents = ''] = text.trim().split('.');
  return Number(whole) * MINOR + Number(cents.padEnd(2, '0'));
}

// --- pages -------------------------------------------------------------------

// The signed-in session, or null after telling the user to sign in first.
export function requireSession(roles) {
  const s = session();
  const who = document.getElementById('whoami');
  if (!s) {
    who.replaceChildren('Not signed in. ', el('a', {href: '/ui/', text: 'Sign in'}));
    return null;
  }
  const as = s.role === 'portal' ? `customer ${s.customer}` : `user ${s.user}`;
  who.textContent = `Signed in as ${as}: ${s.role} key of ${s.company}`;
  if (!roles.includes(s.role)) {
    showProblem(new Error(`This page needs a ${roles.join(' or ')} key; yours is ${s.role}.`));
    return null;
  }
  return s;
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

// A row of cells (strings or nodes), the first one a row header.
export function row(cells) {
  const tr = el('tr');
  cells.forEach((cell, i) => {
    tr.append(el(i === 0 ? 'th' : 'td', i === 0 ? {scope: 'row'} : {}, cell));
  });
  return tr;
}
