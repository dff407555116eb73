import { describe, expect, it } from 'vitest';
import { findQuotedMail, tookPart, unquoteLine } from '../../src/detectors/forwarding/quoted-mail.js';
import { configFrom } from '../support/config.js';

const patterns = configFrom().forwarding;
const quoted = (text: string, html = '') => findQuotedMail([text], html, patterns);

describe('findQuotedMail', () => {
  it('reads an Outlook block that shows display names only, and matches the recipient by name', () => {
    const result = quoted(`Thanks, see you then.

From: Clarke, Emma
Sent: 04 March 2025 19:52
To: Jones, Sarah; Office
Subject: Inhaler
`);
    expect(result.quoteMarkers).toEqual(['quoted-header-block']);
    expect(tookPart(result.participants, 'emma.clarke82@gmail.com', 'Emma Clarke')).toBe(true);
    expect(tookPart(result.participants, 'emma.clarke82@gmail.com', 'Clarke')).toBe(false); // one word is not enough
    expect(tookPart(result.participants, 'a.stranger@gmail.com', 'Amy Stranger')).toBe(false);
  });

  it('reads old Outlook "[mailto:…]" addresses and recipient lists wrapped onto the next line', () => {
    const result = quoted(`-----Original Message-----
From: Emma Clarke [mailto:emma.clarke82@gmail.com]
Sent: 04 March 2025 19:52
To: Sarah Jones <s.jones@example-trust.org.uk>; Office <office@example-trust.org.uk>;
 Head <head@example-trust.org.uk>
Cc: dad.clarke@hotmail.co.uk
Subject: Inhaler
`);
    expect(result.quoteMarkers).toEqual(['outlook-original-message', 'quoted-header-block']);
    expect([...result.participants.addresses].sort()).toEqual([
      'dad.clarke@hotmail.co.uk',
      'emma.clarke82@gmail.com',
      'head@example-trust.org.uk',
      'office@example-trust.org.uk',
      's.jones@example-trust.org.uk',
    ]);
  });

  it('finds markers inside ">" quoting, and takes reply attribution lines as participants', () => {
    const result = quoted(`On Tue, 4 Mar 2025 at 19:52, Emma Clarke <emma.clarke82@gmail.com> wrote:
> > ---------- Forwarded message ---------
> > From: Office <office@example-trust.org.uk>
> > Date: Mon, 3 Mar 2025
> > Subject: Trip
`);
    expect(result.forwardMarkers).toEqual(['forwarded-message-line']);
    expect(result.participants.addresses.has('emma.clarke82@gmail.com')).toBe(true);
    expect(result.participants.addresses.has('office@example-trust.org.uk')).toBe(true);
  });

  it.each([
    ['a lone From: line in a letter', 'From: the Head Teacher\nDear parents,\n'],
    ['From and Date without a Subject', 'From: Office\nDate: Friday 14 March\n\nTrip money is due.\n'],
    ['Subject and Date without a From', 'Subject: Spring term\nDate: 1 March\n'],
    ['the word forwarded in prose', 'Please forward this message to parents.\nI have forwarded your question.\n'],
  ])('ignores %s', (_, text) => {
    const result = quoted(text);
    expect(result.forwardMarkers).toEqual([]);
    expect(result.quoteMarkers).toEqual([]);
  });

  it('recognises forward-only HTML markers', () => {
    expect(quoted('', '<div class="moz-forward-container">…</div>').forwardMarkers).toEqual(['thunderbird-forward-container']);
    expect(quoted('', '<div class="gmail_quote">Hello</div>').forwardMarkers).toEqual([]);
  });
});

describe('unquoteLine', () => {
  it('strips quoting and non-breaking spaces', () => {
    expect(unquoteLine(' > >\u00a0From: x ')).toBe('From: x');
  });
});
