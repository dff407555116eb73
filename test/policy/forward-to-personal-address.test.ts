import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InspectionEngine } from '../../src/engine/inspect.js';
import { Roster } from '../../src/roster/roster.js';
import { BASE_DLP_YAML, configFrom } from '../support/config.js';
import { FIXTURES } from '../support/paths.js';

const STAFF = 's.jones@example-trust.org.uk';
const GMAIL_FORWARD = readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml'));
const OUTLOOK_REPLY = readFileSync(join(FIXTURES, 'forwarding/outlook-reply.eml'));

/** A roster with one pupil whose parent/carer contacts are these addresses. */
const contacts = (...addresses: string[]): Roster =>
  new Roster([{ id: 'p1', forenames: ['Ottoline'], surnames: ['Quayle'], contacts: addresses }], new Set());

const verdictFor = (raw: Buffer, rcptTo: string[], yaml = BASE_DLP_YAML, roster: Roster = contacts()) =>
  new InspectionEngine(configFrom(yaml), { roster }).inspect(raw, { mailFrom: STAFF, rcptTo });

describe('rule forward-to-personal-address', () => {
  it('rejects a forward to a personal mailbox, with the rule\'s reason and clause', async () => {
    const verdict = await verdictFor(GMAIL_FORWARD, ['sarah.jones1984@gmail.com']);
    expect(verdict.action).toBe('reject');
    expect(verdict.rules).toEqual([
      expect.objectContaining({
        id: 'forward-to-personal-address',
        action: 'reject',
        reason: 'School email must not be forwarded to a personal email account.',
        clause: "The trust's data protection policy: under no circumstance should school email be forwarded to personal accounts",
        recipients: ['sarah.jones1984@gmail.com'],
      }),
    ]);
    expect(verdict.reference).toMatch(/^DLP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
  });

  it.each([
    ['a trusted partner', 'senco@lancashire.gov.uk'],
    ['an external organisation', 'bookings@museum.example.org'],
    ['a colleague', 'head@example-trust.org.uk'],
  ])('lets a forward to %s through', async (_, rcpt) => {
    const verdict = await verdictFor(GMAIL_FORWARD, [rcpt]);
    expect(verdict.action).toBe('pass');
    expect(verdict.findings.length).toBeGreaterThan(0); // the forward was seen, and judged fine
  });

  it('lets a forward to a known parent contact through (known-contact exception)', async () => {
    const verdict = await verdictFor(GMAIL_FORWARD, ['sarah.jones1984@gmail.com'], BASE_DLP_YAML, contacts('sarah.jones1984@gmail.com'));
    expect(verdict.action).toBe('pass');
    expect(verdict.recipients[0]!.knownContact).toBe(true);
  });

  it('names only the personal recipients when a forward also goes to colleagues and partners', async () => {
    const verdict = await verdictFor(GMAIL_FORWARD, ['head@example-trust.org.uk', 'sarah.jones1984@gmail.com', 'x@nhs.net', 'y@hotmail.co.uk']);
    expect(verdict.rules[0]!.recipients).toEqual(['sarah.jones1984@gmail.com', 'y@hotmail.co.uk']);
  });

  it('does not fire for a reply to the parent who wrote, but does for a personal address added to the thread', async () => {
    expect((await verdictFor(OUTLOOK_REPLY, ['emma.clarke82@gmail.com'])).action).toBe('pass');
    const verdict = await verdictFor(OUTLOOK_REPLY, ['emma.clarke82@gmail.com', 'friend.of.sarah@yahoo.co.uk']);
    expect(verdict.action).toBe('reject');
    expect(verdict.rules[0]!.recipients).toEqual(['friend.of.sarah@yahoo.co.uk']);
  });

  it('uses the trust\'s action: warn delivers, pass switches the rule off', async () => {
    const warn = await verdictFor(GMAIL_FORWARD, ['a@gmail.com'], `${BASE_DLP_YAML}rules:\n  forward-to-personal-address: { action: warn }\n`);
    expect(warn.action).toBe('warn');
    const off = await verdictFor(GMAIL_FORWARD, ['a@gmail.com'], `${BASE_DLP_YAML}rules:\n  forward-to-personal-address: { action: pass }\n`);
    expect(off.action).toBe('pass');
    expect(off.rules).toEqual([]);
  });

  it('records what would happen in monitor mode', async () => {
    const verdict = await verdictFor(GMAIL_FORWARD, ['a@gmail.com'], BASE_DLP_YAML.replace('enforce', 'monitor'));
    expect(verdict).toMatchObject({ mode: 'monitor', action: 'reject' });
  });

  it('passes a message whose recipients are all internal, whatever it contains', async () => {
    const verdict = await verdictFor(GMAIL_FORWARD, ['head@example-trust.org.uk', 'office@staff.example-trust.org.uk']);
    expect(verdict).toMatchObject({ action: 'pass', rules: [] });
  });
});
