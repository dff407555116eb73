/**
 * DKIM signatures through the relay, end to end: real Haraka with the shipped
 * config/connection.ini, a real SMTP client, a real downstream SMTP server. Each message is
 * signed at test time with mailauth (a key pair made here) and what the downstream server
 * received is verified with mailauth's own dkimVerify; its documented `resolver` option
 * answers the selector's TXT record with the public key made here (DNS injection: the
 * verification itself is mailauth's).
 *
 * 1. A sender's signature (relaxed/relaxed and simple/simple) still verifies downstream after
 *    pass, after warn, and after a DPO releases a held message.
 * 2. With Haraka's own dkim plugin configured as config/dkim.ini and config/plugins ship it
 *    (signing switched on, key made with the plugin's dkim_key_gen.sh), unsigned mail, released
 *    mail and the relay's own notices arrive signed by the trust's domain.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarakaRelay } from '../support/haraka-relay.js';
import { REPO_ROOT, SHIPPED_CONFIG_DIR } from '../support/paths.js';
import { referenceIn } from '../support/relay-queue.js';
import { dlpCommand, ReviewClient } from '../support/review-client.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.js';

const TRUST = 'example-trust.org.uk';
const STAFF = `s.jones@${TRUST}`;
const PARTNER = 'r.patel@riverside.example.com';
const VOLUNTEER = 'helper.volunteer@gmail.com';
const DPO = { username: `dpo@${TRUST}`, password: 'correct horse battery staple' };
/** A roster pupil's name in the subject: pupil-name-in-subject, action warn. */
const WARN_SUBJECT = 'Grace Hall - ';
/** A roster pupil's name and date of birth to a personal address: personal-data-to-personal-address, action hold. */
const HOLD_SENTENCE = 'Jane Smith (DOB 04/02/2015) has moved up two reading levels this term.';
const PASS_SENTENCE = 'The coach leaves at 8.45 on Thursday.';

const DLP_YAML = (extra = ''): string => `mode: enforce
organisation:
  name: Riverside Academy Trust
  internal_domains: [${TRUST}]
roster:
  file: roster.csv
rules:
  pupil-name-in-subject: { action: warn }
  personal-data-to-personal-address: { action: hold }
${extra}`;

// ---------------------------------------------------------------------------------------------
// DNS for the verifier: TXT records of the keys made in this file.

const txtRecords = new Map<string, string>();

/** mailauth's `resolver` option: answers from the keys made here, and NXDOMAIN for anything else. */
async function resolver(name: string, rrtype: string): Promise<string[][]> {
  const record = rrtype === 'TXT' ? txtRecords.get(name.toLowerCase()) : undefined;
  if (record === undefined) throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return [[record]];
}

function publishKey(selector: string, domain: string, publicKeyDer: Buffer): void {
  txtRecords.set(`${selector}._domainkey.${domain}`.toLowerCase(), `v=DKIM1; k=rsa; p=${publicKeyDer.toString('base64')}`);
}

/** The sender's own signing key (a Microsoft 365 or Google tenant upstream of the relay). */
const UPSTREAM = { selector: 'upstream2026', domain: TRUST, ...generateKeyPairSync('rsa', { modulusLength: 2048 }) };
publishKey(UPSTREAM.selector, UPSTREAM.domain, UPSTREAM.publicKey.export({ type: 'spki', format: 'der' }));

type Canonicalization = 'relaxed/relaxed' | 'simple/simple';

/**
 * Signs as a sender upstream of the relay would. `headerList` is mailauth's colon-separated
 * list (its typings say string[] and require top-level key fields; the code reads
 * `signatureData` and a string list). `signTime` is given because without it mailauth 4.13.1
 * rounds the clock for t= twice, once for the data it signs and once for the header it writes;
 * when the two fall either side of a half second (about one signature in 300 here), the
 * signature fails mailauth's own verification.
 */
async function signed(raw: Buffer, canonicalization: Canonicalization, headerList?: string): Promise<Buffer> {
  const options = {
    canonicalization,
    signTime: new Date(),
    signatureData: [{ signingDomain: UPSTREAM.domain, selector: UPSTREAM.selector, privateKey: UPSTREAM.privateKey.export({ type: 'pkcs8', format: 'pem' }) }],
    ...(headerList ? { headerList } : {}),
  };
  const result = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  if (result.errors.length > 0) throw new Error(`signing failed: ${result.errors.map(String).join('; ')}`);
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}

interface Signature {
  domain: string;
  selector: string | undefined;
  result: string;
  comment: string | undefined;
}

/** Every DKIM signature of the message, as mailauth verifies it. */
async function signaturesOf(raw: Buffer): Promise<Signature[]> {
  const { results } = await dkimVerify(raw, { resolver });
  // An unsigned message has one result, "none", with no signing domain.
  return results.filter((r) => r.signingDomain).map((r) => ({ domain: r.signingDomain, selector: r.selector, result: r.status.result, comment: r.status.comment || undefined }));
}

const passing = (selector: string, domain = TRUST): Signature => ({ domain, selector, result: 'pass', comment: undefined });

// ---------------------------------------------------------------------------------------------
// The messages. Each is built for an outcome: pass (a partner school), warn (a pupil's name in
// the subject) or hold (a pupil's name and date of birth to a personal address).

interface Outcome {
  name: 'pass' | 'warn' | 'hold';
  to: string;
  subject: (s: string) => string;
  sentence: string;
}
const PASS: Outcome = { name: 'pass', to: PARTNER, subject: (s) => s, sentence: PASS_SENTENCE };
const WARN: Outcome = { name: 'warn', to: PARTNER, subject: (s) => WARN_SUBJECT + s, sentence: PASS_SENTENCE };
const HOLD: Outcome = { name: 'hold', to: VOLUNTEER, subject: (s) => s, sentence: HOLD_SENTENCE };

let messageCount = 0;
const messageId = (): string => `<dkim-${++messageCount}.${Date.now().toString(36)}@${TRUST}>`;

function header(outcome: Outcome, subject: string, contentType = 'text/plain; charset=us-ascii', encoding = '7bit'): string {
  return `From: Sarah Jones <${STAFF}>
To: <${outcome.to}>
Subject: ${outcome.subject(subject)}
Date: Mon, 23 Nov 2026 09:12:44 +0000
Message-ID: ${messageId()}
MIME-Version: 1.0
Content-Type: ${contentType}
Content-Transfer-Encoding: ${encoding}
`;
}

/** One line of HTML, at least `length` characters, with no line break in it. */
function htmlLine(length: number, sentence: string): string {
  let line = `<html><body><p>${sentence}</p>`;
  for (let i = 1; line.length < length; i++) line += `<p>Item ${i}: reading list</p>`;
  return `${line}</body></html>`;
}

const CASES: Record<string, (o: Outcome) => Buffer> = {
  plain: (o) => crlf(`${header(o, 'Year 7 trip to the science museum')}
Dear Mr Patel,

${o.sentence}

Kind regards,
Sarah
`),

  // One 2,000-character line: over Haraka's default data_line_length of 992.
  'long line (2,000-character HTML line)': (o) => {
    const line = htmlLine(2000, o.sentence);
    expect(line.length).toBeGreaterThanOrEqual(2000);
    return crlf(`${header(o, 'Newsletter', 'text/html; charset=utf-8', '8bit')}\n${line}\n`);
  },

  // A header line of 1,500 characters (a long thread's References:, unfolded).
  'long header line (1,500-character References)': (o) => {
    const references = Array.from({ length: 40 }, (_, i) => `<thread-${String(i).padStart(3, '0')}.abcdefghij@${TRUST}>`).join(' ');
    expect(references.length).toBeGreaterThan(1500);
    return crlf(`${header(o, 'Re: Thread')}References: ${references}\n\n${o.sentence}\n`);
  },

  // Folded headers with trailing whitespace, extra spaces after a colon, a tab fold, a
  // whitespace-only continuation line; a body with trailing spaces and tabs, runs of spaces
  // and empty lines at the end. simple/simple is strict about every byte of these.
  'folded headers and trailing whitespace': (o) =>
    Buffer.from(
      [
        `From: Sarah Jones <${STAFF}>`,
        `To: "Patel, Raj"`,
        `\t<${o.to}>   `,
        `Subject:   ${o.subject('Folded')}  `,
        `  subject continues\t`,
        `Date: Mon, 23 Nov 2026 09:12:44 +0000`,
        `Message-ID: ${messageId()}`,
        `In-Reply-To: <a1@${TRUST}>`,
        `References: <a1@${TRUST}>  `,
        `    <a2@${TRUST}>`,
        `   `,
        `\t<a3@${TRUST}> `,
        `MIME-Version: 1.0`,
        `Content-Type: text/plain;`,
        `  charset=us-ascii`,
        `Content-Transfer-Encoding: 7bit`,
        ``,
        `Dear Mr Patel,   `,
        `Two  spaces,\ttab\t, trailing tab\t`,
        `${o.sentence}  `,
        `   `,
        ``,
        `Sarah`,
        ``,
        ``,
        ``,
      ].join('\r\n'),
    ),

  '8bit UTF-8 body': (o) =>
    crlf(`${header(o, 'Cafe', 'text/plain; charset=utf-8', '8bit')}
Zoë O’Connor’s café order — £5.20 each, 10 € for staff. Ünïcödé ✓ 😀
${o.sentence}
Ελληνικά, 日本語, עברית.
`),

  // Lines that SMTP must dot-stuff on the way in and out.
  'leading-dot lines': (o) =>
    crlf(`${header(o, 'Dots')}
.hidden line that starts with a dot
..two dots
.
. a dot and a space
${o.sentence}
.
`),
};

const CANONICALIZATIONS: Canonicalization[] = ['relaxed/relaxed', 'simple/simple'];
const MATRIX = Object.keys(CASES).flatMap((name) => CANONICALIZATIONS.map((canon) => [name, canon] as const));

// ---------------------------------------------------------------------------------------------

/** The message the sink received with this Message-ID (each test's messages are its own). */
async function received(sink: SmtpSink, raw: Buffer, ms = 15_000): Promise<ReceivedMessage> {
  const id = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString('latin1'))![1]!;
  const deadline = Date.now() + ms;
  for (;;) {
    const found = sink.received.find((m) => headerBlock(m.raw).includes(id));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`the sink never received ${id}; it has ${sink.received.length} message(s)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function headerBlock(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return end === -1 ? text : text.slice(0, end);
}

/** Sends through the relay; a held message is released by the DPO through the review queue. */
async function through(relay: HarakaRelay, review: ReviewClient, outcome: Outcome, raw: Buffer): Promise<{ response: string }> {
  const result = await sendRaw(relay.port, { from: STAFF, to: [outcome.to] }, raw);
  expect(result.code, result.response).toBe(250);
  if (outcome.name === 'hold') {
    expect(result.response).toMatch(/Held for review .*\[personal-data-to-personal-address\]/);
    expect(await review.release(referenceIn(result.response))).toMatch(/Released/);
  }
  return result;
}

async function startRelay(options: { plugins?: string[]; extraYaml?: string; before?: (relay: HarakaRelay) => void }, sink: SmtpSink) {
  const relay = new HarakaRelay({
    dlpYaml: DLP_YAML(`quarantine:\n  release_via: smtp://127.0.0.1:${sink.port}\n${options.extraYaml ?? ''}`),
    smarthostPort: sink.port,
    configFiles: { 'roster.csv': readFileSync(RIVERSIDE_ROSTER) },
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  mkdirSync(relay.configDir, { recursive: true });
  options.before?.(relay);
  await relay.start();
  await relay.waitForOutput(/review queue listening/);
  const added = await dlpCommand(['reviewer', 'add', DPO.username, '--role', 'dpo', '--config', relay.configDir], `${DPO.password}\n`);
  expect(added.code, added.out).toBe(0);
  const review = new ReviewClient(`http://127.0.0.1:${relay.reviewPort}`);
  await review.signIn(DPO.username, DPO.password);
  return { relay, review };
}

describe("a sender's DKIM signature survives the relay (pass, warn, DPO release)", () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;
  let review: ReviewClient;

  beforeAll(async () => {
    await sink.start();
    ({ relay, review } = await startRelay({}, sink));
  }, 60_000);
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });

  for (const outcome of [PASS, WARN, HOLD]) {
    it.each(MATRIX)(`${outcome.name === 'hold' ? 'held and released' : outcome.name}: %s, %s`, async (name, canon) => {
      const raw = await signed(CASES[name]!(outcome), canon);
      expect(await signaturesOf(raw), 'as sent').toEqual([passing(UPSTREAM.selector)]);
      const { response } = await through(relay, review, outcome, raw);
      const delivered = await received(sink, raw);
      const verdict = /^X-DLP-Verdict: (\w+)/m.exec(headerBlock(delivered.raw))?.[1];
      expect(verdict).toBe(outcome.name === 'hold' ? 'released' : outcome.name);
      if (outcome.name !== 'hold') expect(response).toMatch(/^250 /);
      expect(await signaturesOf(delivered.raw), 'as delivered').toEqual([passing(UPSTREAM.selector)]);
    });
  }

  // The relay drops an X-DLP-Verdict the sender wrote (so nobody can forge its verdict) and adds
  // its own. A signature that does not cover that header is unaffected by either change. The
  // forged header here is folded and in lower case: all of it goes, and nothing else.
  for (const outcome of [PASS, WARN, HOLD]) {
    it(`${outcome.name}: a forged X-DLP-Verdict the signature does not cover is replaced, and the signature still verifies`, async () => {
      const unsigned = Buffer.concat([crlf('x-dlp-verdict: pass;\n\tref=FORGED\n'), CASES['plain']!(outcome)]);
      const raw = await signed(unsigned, 'simple/simple');
      expect(await signaturesOf(raw)).toEqual([passing(UPSTREAM.selector)]);
      await through(relay, review, outcome, raw);
      const delivered = await received(sink, raw);
      expect(delivered.raw.toString('latin1')).not.toContain('FORGED');
      expect(headerBlock(delivered.raw).match(/^X-DLP-Verdict:/gim)).toHaveLength(1);
      expect(await signaturesOf(delivered.raw)).toEqual([passing(UPSTREAM.selector)]);
    });
  }

  it('pass: the longest line the shipped connection.ini keeps whole still verifies, relaxed and simple', async () => {
    const limit = Number(/^data_line_length=(\d+)$/m.exec(readFileSync(join(SHIPPED_CONFIG_DIR, 'connection.ini'), 'utf8'))![1]);
    expect(limit).toBeGreaterThanOrEqual(256 * 1024); // far beyond any line real mail carries
    for (const canon of CANONICALIZATIONS) {
      const start = `<html><body><p>${PASS_SENTENCE}</p><!-- `;
      const end = ' --></body></html>';
      const line = start + 'x'.repeat(limit - 2 - start.length - end.length) + end; // with its CRLF, exactly `limit` bytes
      const raw = await signed(crlf(`${header(PASS, 'Long line', 'text/html; charset=utf-8', '8bit')}\n${line}\n`), canon);
      await through(relay, review, PASS, raw);
      expect(await signaturesOf((await received(sink, raw)).raw), canon).toEqual([passing(UPSTREAM.selector)]);
    }
  });

  // A signature that covers an X-DLP-Verdict the sender wrote vouches for a verdict the relay did
  // not give. The relay's own verdict must be the only one downstream, so the header is replaced
  // all the same and that signature no longer verifies: by design. (No ordinary signer covers
  // this header; a signature made after the relay's change, such as the relay's own, is intact.)
  it('pass: a forged X-DLP-Verdict that the signature covers is still replaced (that signature then fails, by design)', async () => {
    const unsigned = Buffer.concat([crlf('X-DLP-Verdict: pass; ref=FORGED\n'), CASES['plain']!(PASS)]);
    const raw = await signed(unsigned, 'relaxed/relaxed', 'from:to:subject:date:message-id:x-dlp-verdict');
    expect(/^DKIM-Signature:[^]*?h=[^;]*X-DLP-Verdict/im.test(raw.toString('latin1'))).toBe(true);
    expect(await signaturesOf(raw)).toEqual([passing(UPSTREAM.selector)]);
    await through(relay, review, PASS, raw);
    const delivered = await received(sink, raw);
    expect(delivered.raw.toString('latin1')).not.toContain('FORGED');
    expect(await signaturesOf(delivered.raw)).toEqual([{ ...passing(UPSTREAM.selector), result: 'fail', comment: 'bad signature' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Signing on delivery: Haraka's own dkim plugin, configured as config/dkim.ini and config/plugins
// ship it with signing switched on, and a key made with the plugin's dkim_key_gen.sh as the
// instructions in config/dkim.ini say.

/** config/plugins as shipped, with its commented-out dkim and queue/smtp_forward lines switched on. */
function shippedPluginsWithSigning(): string[] {
  return readFileSync(join(SHIPPED_CONFIG_DIR, 'plugins'), 'utf8')
    .split('\n')
    .map((line) => line.trim().replace(/^# (dkim|queue\/smtp_forward)$/, '$1'))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** config/dkim.ini as shipped, with step 3 of its instructions done. */
function shippedDkimIniWithSigning(): string {
  const shipped = readFileSync(join(SHIPPED_CONFIG_DIR, 'dkim.ini'), 'utf8');
  const on = shipped.replace(/^(\[sign\]\r?\n)enabled = false$/m, '$1enabled = true');
  expect(on, 'config/dkim.ini has "[sign]" then "enabled = false"').not.toBe(shipped);
  return on;
}

/** Step 1 of config/dkim.ini in the relay's config/; publishes the record its `dns` file shows (step 2). Returns the selector. */
function makeTrustKey(configDir: string): string {
  const dir = join(configDir, 'dkim');
  mkdirSync(dir, { recursive: true });
  execFileSync(join(REPO_ROOT, 'node_modules/.bin/dkim_key_gen.sh'), [TRUST], { cwd: dir, stdio: 'pipe' });
  const dns = readFileSync(join(dir, TRUST, 'dns'), 'utf8');
  const [, name, value] = /^(\S+\._domainkey)\s+IN\s+TXT\s+(v=DKIM1;\S+)$/m.exec(dns)!;
  txtRecords.set(`${name}.${TRUST}`.toLowerCase(), value!);
  return readFileSync(join(dir, TRUST, 'selector'), 'utf8').trim();
}

describe("signing on delivery with Haraka's dkim plugin, configured as shipped", () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;
  let review: ReviewClient;
  let selector = '';

  beforeAll(async () => {
    expect(shippedPluginsWithSigning()).toEqual(['dlp', 'tls', 'dkim', 'queue/smtp_forward']);
    await sink.start();
    ({ relay, review } = await startRelay(
      {
        plugins: shippedPluginsWithSigning(),
        extraYaml: `notifications:\n  from: "Email data protection <dlp@${TRUST}>"\n`,
        before: (r) => {
          r.writeConfig('dkim.ini', shippedDkimIniWithSigning());
          selector = makeTrustKey(r.configDir);
        },
      },
      sink,
    ));
  }, 60_000);
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });

  // Every case, including the folded header with a line of nothing but spaces that the shipped
  // [canon] body = simple is chosen for (config/dkim.ini).
  for (const outcome of [PASS, HOLD]) {
    it.each(Object.keys(CASES))(`${outcome.name === 'hold' ? 'held and released' : 'pass'}, sent unsigned: %s arrives signed by the trust's domain`, async (name) => {
      const raw = CASES[name]!(outcome);
      expect(await signaturesOf(raw)).toEqual([]);
      await through(relay, review, outcome, raw);
      const delivered = await received(sink, raw);
      expect(await signaturesOf(delivered.raw)).toEqual([passing(selector)]);
    });
  }

  it("warn: delivered signed, and the relay's own notice to the sender is signed too", async () => {
    const raw = CASES['plain']!(WARN);
    await through(relay, review, WARN, raw);
    const delivered = await received(sink, raw);
    expect(await signaturesOf(delivered.raw)).toEqual([passing(selector)]);
    const reference = /^X-DLP-Verdict: warn; rules=pupil-name-in-subject; ref=(DLP-[0-9A-Z-]+)/m.exec(headerBlock(delivered.raw))![1]!;
    // The notice goes out through Haraka's outbound queue, as released mail does.
    const isNotice = (m: ReceivedMessage): boolean => new RegExp(`^X-DLP-Notice: warn; ref=${reference}$`, 'im').test(headerBlock(m.raw));
    const deadline = Date.now() + 15_000;
    let notice: ReceivedMessage | undefined;
    while (!(notice = sink.received.find(isNotice))) {
      if (Date.now() > deadline) throw new Error(`no warn notice for ${reference}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notice.rcptTo).toEqual([STAFF]);
    expect(await signaturesOf(notice.raw)).toEqual([passing(selector)]);
  });

  it.each(CANONICALIZATIONS)("a message the sender signed (%s) keeps that signature and gets the relay's too", async (canon) => {
    const raw = await signed(CASES['folded headers and trailing whitespace']!(PASS), canon);
    await through(relay, review, PASS, raw);
    const delivered = await received(sink, raw);
    expect(await signaturesOf(delivered.raw)).toEqual(expect.arrayContaining([passing(UPSTREAM.selector), passing(selector)]));
    expect(await signaturesOf(delivered.raw)).toHaveLength(2);
  });
});

describe('the order in config/plugins matters', () => {
  it('with dkim after queue/smtp_forward, mail is delivered before it can be signed', async () => {
    const sink = await new SmtpSink().start();
    const { relay, review } = await startRelay(
      {
        plugins: ['dlp', 'queue/smtp_forward', 'dkim'],
        before: (r) => {
          r.writeConfig('dkim.ini', shippedDkimIniWithSigning());
          makeTrustKey(r.configDir);
        },
      },
      sink,
    );
    try {
      const raw = CASES['plain']!(PASS);
      await through(relay, review, PASS, raw);
      expect(await signaturesOf((await received(sink, raw)).raw)).toEqual([]);
    } finally {
      await relay.stop();
      await sink.stop();
    }
  });
});
