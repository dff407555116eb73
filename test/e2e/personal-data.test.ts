import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HarakaRelay, RelayExitedError } from '../support/haraka-relay.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const DLP_YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
roster:
  file: roster.csv
`;
const ROSTER = readFileSync(RIVERSIDE_ROSTER);
const STAFF = 's.jones@example-trust.org.uk';
const MUM = 'mum.smith@gmail.com';

const message = (to: string, subject: string, body: string): Buffer =>
  crlf(`From: Sarah Jones <${STAFF}>
To: <${to}>
Subject: ${subject}
Date: Mon, 23 Nov 2026 09:12:44 +0000
Message-ID: <pd-${Math.random().toString(36).slice(2)}@example-trust.org.uk>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${body}
`);
const NAME_AND_DOB = 'Jane Smith (DOB 04/02/2015) has moved up two reading levels this term.';

describe('personal data end to end (real Haraka, real SMTP, real roster)', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;

  beforeAll(async () => {
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port, configFiles: { 'roster.csv': ROSTER } }).start();
  });
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });
  afterEach(() => {
    sink.received.length = 0;
  });

  it('logs the roster it loaded: counts only, no names', () => {
    expect(relay.output).toMatch(/dlp: roster: 7 pupils, 7 parent\/carer addresses from roster\.csv \(7 rows, utf-8\)/);
    expect(relay.output).not.toMatch(/Jane|Smith/);
  });

  it("holds a pupil's name and date of birth to a gmail address that is not a contact", async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: ['helper.volunteer@gmail.com'] }, message('helper.volunteer@gmail.com', 'Reading', NAME_AND_DOB));
    expect(result.code).toBe(250);
    expect(result.response).toMatch(/Held for review by the Data Protection Officer \[personal-data-to-personal-address\] Ref DLP-/);
    const reference = /Ref (DLP-[0-9A-Z]{5}-[0-9A-Z]{5})/.exec(result.response)![1]!;
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(0);
    // The log line counts what was found and about how many people, and never says who or what.
    const line = relay.output.split('\n').find((l) => l.includes(reference) && l.includes('"event":"dlp-verdict"'))!;
    expect(JSON.parse(line.slice(line.indexOf('{')))).toMatchObject({
      verdict: 'hold',
      people: 1,
      findings: { 'pupil-name:roster-name': 1, 'date-of-birth:beside-pupil-name': 1 },
    });
    expect(line).not.toMatch(/Jane|Smith|04\/02\/2015|helper\.volunteer/);
  });

  it("delivers the same message to the pupil's own parent", async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: [MUM] }, message(MUM, 'Reading', NAME_AND_DOB));
    expect(result.code).toBe(250);
    const [received] = await sink.waitFor(1);
    expect(received!.rcptTo).toEqual([MUM]);
    expect(received!.raw.toString()).toMatch(/X-DLP-Verdict: pass; ref=DLP-/);
  });

  it("delivers a subject naming a pupil with a warning header", async () => {
    const to = 'r.patel@riverside.example.com';
    const result = await sendRaw(relay.port, { from: STAFF, to: [to] }, message(to, 'Grace Hall - homework', 'Please see the sheet.'));
    expect(result.code).toBe(250);
    const [received] = await sink.waitFor(1);
    expect(received!.raw.toString()).toMatch(/X-DLP-Verdict: warn; rules=pupil-name-in-subject; ref=DLP-/);
    expect(received!.raw.toString()).toContain('Subject: Grace Hall - homework');
  });

  it('rejects a subject naming a pupil with special-category data, even to the parent', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: [MUM] }, message(MUM, 'Jane Smith EHCP review', 'Notes to follow.'));
    expect(result.code).toBe(550);
    expect(result.response).toMatch(/\[sensitive-subject\]/);
  });

  it('picks up a changed roster without a restart, and keeps the old one when the new one is unusable', async () => {
    const to = 'tutor@gmail.com';
    const aboutNewPupil = message(to, 'Reading', 'Amara Okafor has moved up two reading levels.');
    expect((await sendRaw(relay.port, { from: STAFF, to: [to] }, aboutNewPupil)).code).toBe(250);
    await sink.waitFor(1);

    let mark = relay.output.length;
    relay.writeConfig('roster.csv', Buffer.concat([ROSTER, Buffer.from(',Amara,,Okafor,,01/01/2016,Year 4,4C,\n')]));
    await relay.waitForOutput(/dlp: roster reloaded/, 15_000, mark);
    expect(relay.output.slice(mark)).toMatch(/roster: 8 pupils/);
    expect((await sendRaw(relay.port, { from: STAFF, to: [to] }, aboutNewPupil)).response).toMatch(/^250 Held for review/);

    mark = relay.output.length;
    relay.writeConfig('roster.csv', 'Pupil Ref,Class\n1,5B\n');
    await relay.waitForOutput(/a roster file changed but cannot be used; the previous roster stays in force.*no usable name columns/, 15_000, mark);
    expect((await sendRaw(relay.port, { from: STAFF, to: [to] }, aboutNewPupil)).response).toMatch(/^250 Held for review/);
  });
});

describe('relay start-up with a roster', () => {
  it('refuses to start when the roster file is missing, naming it', async () => {
    const relay = new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: 9 });
    const error = await relay.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await relay.stop();
    expect(error).toBeInstanceOf(RelayExitedError);
    expect((error as RelayExitedError).output).toMatch(/roster .*roster\.csv: no such file/);
  });

  it('starts with bad rows, logging each by file and line', async () => {
    const csv = `${ROSTER.toString()},Nosurname,,,,01/01/2016,4,4C,\n`;
    const relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: 9, configFiles: { 'roster.csv': csv } }).start();
    try {
      expect(relay.output).toMatch(/dlp: roster: roster\.csv line 9: no surname; row skipped/);
    } finally {
      await relay.stop();
    }
  });
});
