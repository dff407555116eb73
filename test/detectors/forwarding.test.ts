import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InspectionEngine } from '../../src/engine/inspect.js';
import type { Envelope, Finding } from '../../src/engine/types.js';
import { subjectIntent } from '../../src/detectors/forwarding/subject.js';
import { configFrom } from '../support/config.js';
import { FIXTURES } from '../support/paths.js';

const engine = new InspectionEngine(configFrom());
const STAFF = 's.jones@example-trust.org.uk';
const OWN_GMAIL = 'sarah.jones1984@gmail.com';

async function findingsFor(file: string, envelope: Envelope, edit: (raw: string) => string = (r) => r): Promise<Finding[]> {
  const raw = edit(readFileSync(join(FIXTURES, 'forwarding', file), 'latin1'));
  return (await engine.inspect(Buffer.from(raw, 'latin1'), envelope)).findings;
}

/** The fixture with its subject's reply/forward prefixes removed: a forward whose subject lost its prefix. */
const withoutSubjectPrefix = (raw: string): string =>
  raw.replace(/^Subject: *(?:(?:FW|Fw|Fwd|RE|Re) *: *)+/m, 'Subject: ');

// Each row: fixture (see test/fixtures/forwarding/SOURCES.md), envelope recipient, the
// evidence the detectors must report, and whether that evidence survives the subject
// prefix being deleted.
const FORWARDS: Array<[file: string, rcpt: string, evidence: string[], bodyEvidence: string | null]> = [
  ['outlook-original-message.eml', OWN_GMAIL, ['subject-forward-prefix', 'outlook-original-message'], 'outlook-original-message'],
  ['outlook-header-block.eml', OWN_GMAIL, ['subject-forward-prefix', 'quoted-header-block'], 'quoted-header-block'],
  ['outlook-header-block-no-prefix.eml', 'tom.griffiths.pe@hotmail.co.uk', ['quoted-header-block'], 'quoted-header-block'],
  ['outlook-reply-new-recipient.eml', 'markpatel77@hotmail.co.uk', ['quoted-header-block'], 'quoted-header-block'],
  ['outlook-web-forward.eml', OWN_GMAIL, ['subject-forward-prefix', 'quoted-header-block'], 'quoted-header-block'],
  ['outlook-mac-forward.eml', OWN_GMAIL, ['subject-forward-prefix', 'quoted-header-block'], 'quoted-header-block'],
  ['gmail-forward.eml', OWN_GMAIL, ['subject-forward-prefix', 'forwarded-message-line'], 'forwarded-message-line'],
  ['gmail-forward-no-prefix.eml', OWN_GMAIL, ['forwarded-message-line'], 'forwarded-message-line'],
  ['apple-mail-forward.eml', OWN_GMAIL, ['subject-forward-prefix', 'apple-mail-forward-intro'], 'apple-mail-forward-intro'],
  ['iphone-forward.eml', OWN_GMAIL, ['subject-forward-prefix', 'apple-mail-forward-intro'], 'apple-mail-forward-intro'],
  ['thunderbird-forward-inline.eml', OWN_GMAIL, ['subject-forward-prefix', 'thunderbird-forwarded-message-id', 'forwarded-message-line'], 'forwarded-message-line'],
  ['thunderbird-forward-attachment.eml', OWN_GMAIL, ['subject-forward-prefix', 'thunderbird-forwarded-message-id', 'attached-message'], 'attached-message'],
  ['yahoo-forward.eml', OWN_GMAIL, ['subject-forward-prefix', 'forwarded-message-line'], 'forwarded-message-line'],
  ['attached-eml-octet-stream.eml', OWN_GMAIL, ['attached-message'], 'attached-message'],
];

const AUTO_FORWARDS: Array<[file: string, envelope: Envelope, evidence: string[]]> = [
  ['exchange-inbox-rule-forward.eml', { mailFrom: STAFF, rcptTo: [OWN_GMAIL] }, ['exchange-inbox-rule', 'exchange-mailbox-rules-agent']],
  ['exchange-inbox-rule-redirect.eml', { mailFrom: STAFF, rcptTo: [OWN_GMAIL] }, ['resent-headers', 'exchange-inbox-rule']],
  [
    'gmail-auto-forward.eml',
    { mailFrom: 's.jones+caf_=sarah.jones1984=gmail.com@example-trust.org.uk', rcptTo: [OWN_GMAIL] },
    ['gmail-auto-forward', 'gmail-auto-forward-envelope'],
  ],
  [
    'sieve-redirect.eml',
    { mailFrom: 'SRS0=Qm3x=VX=catering.example=orders@example-trust.org.uk', rcptTo: [OWN_GMAIL] },
    ['sieve-redirect', 'srs-envelope-sender'],
  ],
];

describe('forwarding detection on realistic client output', () => {
  it.each(FORWARDS)('%s is a forward to %s', async (file, rcpt, evidence) => {
    const findings = await findingsFor(file, { mailFrom: STAFF, rcptTo: [rcpt] });
    expect(findings.every((f) => f.kind === 'forwarded')).toBe(true);
    expect(findings.map((f) => f.evidence)).toEqual(expect.arrayContaining(evidence));
  });

  it.each(FORWARDS)('%s is still a forward when the subject loses its prefix', async (file, rcpt, _, bodyEvidence) => {
    const findings = await findingsFor(file, { mailFrom: STAFF, rcptTo: [rcpt] }, withoutSubjectPrefix);
    expect(findings.map((f) => f.evidence)).not.toContain('subject-forward-prefix');
    expect(findings.map((f) => f.evidence)).toContain(bodyEvidence);
  });

  it.each(AUTO_FORWARDS)('%s is an automatic forward', async (file, envelope, evidence) => {
    const findings = await findingsFor(file, envelope);
    const auto = findings.filter((f) => f.kind === 'auto-forwarded');
    expect(auto.map((f) => f.evidence).sort()).toEqual([...evidence].sort());
  });

  it.each([
    ['outlook-reply.eml', 'emma.clarke82@gmail.com', 'an Outlook reply to the parent who wrote the quoted mail'],
    ['gmail-reply.eml', 'emma.clarke82@gmail.com', 'a Gmail reply to the parent who wrote'],
    ['plain-new-message.eml', 'emma.clarke82@gmail.com', 'a new message'],
    ['newsletter-mentions-forwarding.eml', 'j.bennett@hotmail.co.uk', 'a newsletter that says "forward" and has Date: and From: lines'],
  ])('%s to %s is not a forward (%s)', async (file, rcpt) => {
    expect(await findingsFor(file, { mailFrom: STAFF, rcptTo: [rcpt] })).toEqual([]);
  });

  it('judges a quoted thread per recipient: a forward only for the one who was not in it', async () => {
    const findings = await findingsFor('outlook-reply.eml', { mailFrom: STAFF, rcptTo: ['emma.clarke82@gmail.com', OWN_GMAIL] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'forwarded', location: 'body', recipients: [OWN_GMAIL] });
  });

  it.each([
    ['gmail-forward-no-prefix.eml', 'tgriffiths.pe@gmail.com', 'Tom Griffiths'],
    ['outlook-header-block-no-prefix.eml', 'tom.griffiths.pe@hotmail.co.uk', 'Tom Griffiths'],
    ['outlook-header-block-no-prefix.eml', 'tom.griffiths.pe@hotmail.co.uk', 'All Staff'],
  ])('%s to %s named "%s" is still a forward: a display name the sender writes proves nothing', async (file, rcpt, name) => {
    const findings = await findingsFor(file, { mailFrom: STAFF, rcptTo: [rcpt] }, (raw) =>
      raw.replace(/^To: .*$/m, `To: ${name} <${rcpt}>`),
    );
    expect(findings.filter((f) => f.location === 'body')).toHaveLength(1);
  });

  it('a reply (RE:) to a parent named as in the Outlook block, without the address, is not a forward', async () => {
    const findings = await findingsFor('outlook-reply.eml', { mailFrom: STAFF, rcptTo: ['emma.c.new@gmail.com'] }, (raw) =>
      raw
        .replace(/^To: .*$/m, 'To: Emma Clarke <emma.c.new@gmail.com>')
        .replace(/^From: Emma Clarke <emma\.clarke82@gmail\.com>$/m, 'From: Emma Clarke'),
    );
    expect(findings).toEqual([]);
  });

  it('a delivery report that carries the original message is a bounce, not a forward', async () => {
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@example-trust.org.uk>',
      'To: emma.clarke82@gmail.com',
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'Your message to old.address@example-trust.org.uk could not be delivered.',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mail.example-trust.org.uk',
      '',
      'Final-Recipient: rfc822; old.address@example-trust.org.uk',
      'Action: failed',
      'Status: 5.1.1',
      '--B',
      'Content-Type: message/rfc822',
      '',
      'From: emma.clarke82@gmail.com',
      'To: old.address@example-trust.org.uk',
      'Subject: Inhaler',
      '',
      'Hello',
      '--B--',
      '',
    ].join('\r\n');
    const verdict = await engine.inspect(Buffer.from(dsn), { mailFrom: '', rcptTo: ['emma.clarke82@gmail.com'] });
    expect(verdict.findings).toEqual([]);
    expect(verdict.action).toBe('pass');
  });

  it('quoted replies ("On ... wrote:") count only when the subject no longer says reply', async () => {
    const stranger = { mailFrom: STAFF, rcptTo: ['a.stranger@gmail.com'] };
    expect(await findingsFor('gmail-reply.eml', stranger)).toEqual([]);
    const noPrefix = await findingsFor('gmail-reply.eml', stranger, withoutSubjectPrefix);
    expect(noPrefix).toMatchObject([{ kind: 'forwarded', evidence: 'quoted-reply', recipients: ['a.stranger@gmail.com'] }]);
    expect(await findingsFor('gmail-reply.eml', { mailFrom: STAFF, rcptTo: ['emma.clarke82@gmail.com'] }, withoutSubjectPrefix)).toEqual([]);
  });

  it('never quotes message content in a finding', async () => {
    const raw = readFileSync(join(FIXTURES, 'forwarding/outlook-header-block-no-prefix.eml'), 'latin1');
    const quotedName = /^From: (.+?) </m.exec(raw.split('\n\n').slice(1).join('\n\n'))?.[1];
    const findings = await findingsFor('outlook-header-block-no-prefix.eml', { mailFrom: STAFF, rcptTo: ['tom.griffiths.pe@hotmail.co.uk'] });
    for (const finding of findings) {
      expect(finding.excerpt).not.toMatch(/@/);
      if (quotedName) expect(finding.excerpt).not.toContain(quotedName);
    }
  });
});

describe('subjectIntent', () => {
  const prefixes = { forward: new Set(['FW', 'FWD', 'WG', 'TR']), reply: new Set(['RE', 'AW']) };
  it.each([
    ['FW: minutes', 'forward'],
    ['Fwd: minutes', 'forward'],
    ['fwd:minutes', 'forward'],
    ['FWD : minutes', 'forward'],
    ['WG: Protokoll', 'forward'],
    ['[EXTERNAL] FW: minutes', 'forward'],
    ['FW[2]: minutes', 'forward'],
    ['FW： minutes', 'forward'],
    ['RE: FW: minutes', 'reply'],
    ['Re: Fwd: minutes', 'reply'],
    ['AW: Frage', 'reply'],
    ['Note: FW: minutes', 'new'],
    ['Forwarding address for the trip', 'new'],
    ['FWIW the trip is on', 'new'],
    ['', 'new'],
  ])('%j is %s', (subject, intent) => {
    expect(subjectIntent(subject, prefixes).intent).toBe(intent);
  });
});

describe('HTML too large for the converter', () => {
  it('is still inspected, through the linear tag-stripping fallback', async () => {
    const small = new InspectionEngine(configFrom(`organisation:
  name: T
  internal_domains: [example-trust.org.uk]
inspection:
  max_html_chars: 2000
`));
    const padding = '<p>Term dates and clubs.</p>'.repeat(200);
    const raw = Buffer.from(
      `From: ${STAFF}\r\nTo: ${OWN_GMAIL}\r\nSubject: minutes\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
        `<div>${padding}<div>---------- Forwarded message ---------<br>From: Head &lt;head@example-trust.org.uk&gt;<br>Date: Mon<br>Subject: Minutes<br></div></div>\r\n`,
    );
    const verdict = await small.inspect(raw, { mailFrom: STAFF, rcptTo: [OWN_GMAIL] });
    expect(verdict.findings.map((f) => f.evidence)).toContain('forwarded-message-line');
    expect(verdict.action).toBe('reject');
  });
});
