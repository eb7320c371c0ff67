// Sign-in: learn the key's company and role from GET /v1/me, keep it for the tab.
import {act, call, companyPath, el, requireSession, saveSession, session, showProblem,
  signOut, text} from './api.js';

const form = document.getElementById('sign-in-form');

form.addEventListener('submit', event => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const button = form.querySelector('button');
  act(button, async () => {
    const key = data.key.trim();
    const me = await call('GET', '/v1/me', {key});
    const company = me.company === '*' ? data.company.trim() : me.company;
    if (!company) throw new Error('This key is valid for every company: say which company.');
    if (me.role === 'portal' && !data.customer.trim()) {
      throw new Error('A portal key acts as one customer: enter the customer id.');
    }
    if (me.role !== 'portal' && !data.user.trim()) {
      throw new Error(`A ${me.role} key acts as a user: enter your user id.`);
    }
    saveSession({key, company, role: me.role, customer: data.customer.trim() || null,
      user: data.user.trim() || null});
    form.reset();
    await showSignedIn();
  });
});

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  location.reload();
});

const switchButton = document.getElementById('switch-online-payments');
switchButton.addEventListener('click', () => act(switchButton, async () => {
  const s = session();
  const enabled = switchButton.dataset.enabled !== 'true';
  await call('PUT', `${companyPath(s)}/settings/online-payments`,
    {body: {enabled}, actor: `user:${s.user}`});
  await showOnlinePayments(s);
}));

async function showOnlinePayments(s) {
  const {enabled} = await call('GET', `${companyPath(s)}/settings/online-payments`);
  text('online-payments', `Online payments are ${enabled ? 'on' : 'off'} for ${s.company}.`);
  switchButton.dataset.enabled = String(enabled);
  switchButton.textContent = enabled ? 'Switch online payments off' : 'Switch online payments on';
  switchButton.hidden = s.role !== 'admin';  // only admin keys may switch it
}

async function showSignedIn() {
  const s = requireSession(['portal', 'office', 'auditor', 'admin']);
  if (!s) return;
  document.getElementById('sign-in').hidden = true;
  document.getElementById('signed-in').hidden = false;
  const line = document.getElementById('signed-in-as');
  line.replaceChildren('A ', el('strong', {text: s.role}), ` key of company ${s.company}.`);
  await act(null, () => showOnlinePayments(s));
  document.getElementById('signed-in-heading').focus();
}

if (session()) showSignedIn().catch(showProblem);
else requireSession([]);
