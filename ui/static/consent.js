// The autopay agreement the portal shows in full before a customer turns
// autopay on. This file is the one place its wording lives: the version below
// is sent as the consent's `text_version` and recorded with it, so any change
// to the wording MUST come with a new version (autopay-consent-v2, ...), and
// the old wording kept here, so what a customer agreed to can always be shown.
export const AUTOPAY_CONSENT_VERSION = 'autopay-consent-v1';

const TEXTS = {
  'autopay-consent-v1': company => [
    `I authorise ${company} to charge my saved card, without asking me each time, ` +
      'for the full amount of each invoice it sends me for work it has done.',
    'The card charged is the one I choose below; if I choose "Always my primary card", it is ' +
      'whichever card is my primary payment method when the charge is made.',
    `If a charge is declined, ${company} may try again on later days and, if its settings ` +
      'say so, charge my other saved cards instead.',
    'If I delete the card autopay charges, autopay charges my primary card from then on; ' +
      'if I delete my last card, autopay stops.',
    `I can turn autopay off at any time on this page or by asking ${company}. ` +
      'Turning it off does not stop a charge already made or started.',
  ],
};

// The paragraphs of a version's wording for a company, or null for an unknown version.
export function consentParagraphs(version, company) {
  const text = TEXTS[version];
  return text ? text(company) : null;
}
