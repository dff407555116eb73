/**
 * The relay as a service: started by bin/relay.js with its configuration and its data in
 * separate directories, stopped with SIGTERM as systemd stops it. Real Haraka, real SMTP.
 */
import { execFileSync } from 'node:child_process';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { timetableCsv } from '../support/attachment-fixtures.js';
import { HarakaRelay } from '../support/haraka-relay.js';
import { busyChild, waitForExit } from '../support/processes.js';
import { REPO_ROOT } from '../support/paths.js';
import { RawSmtp } from '../support/raw-smtp.js';
import { canConnect } from '../support/haraka-relay.js';
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const PARTNER = 'r.patel@riverside.example.com';
const YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
rules:
  forward-to-personal-address: { action: hold }
`;
const LETTER = crlf(`From: Sarah Jones <${STAFF}>
To: ${PARTNER}
Subject: Year 7 trip
Message-ID: <service-1@example-trust.org.uk>

The coach leaves at 8.45.
`);
const FORWARD = crlf(`From: Sarah Jones <${STAFF}>
To: sarah.jones1984@gmail.com
Subject: Fwd: Year 7 trip
Message-ID: <service-2@example-trust.org.uk>

---------- Forwarded message ---------
From: Mr Patel <${PARTNER}>
Date: Mon, 23 Nov 2026 at 09:12
Subject: Year 7 trip
To: <${STAFF}>

The coach leaves at 8.45.
`);

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

describe('bin/relay.js: configuration and data apart', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;
  let configBefore: string[];

  beforeAll(async () => {
    await sink.start();
    relay = new HarakaRelay({ dlpYaml: YAML, smarthostPort: sink.port, launcher: true, configFiles: { 'log.ini': '[main]\nlevel=info\ntimestamps=true\n' } });
    await relay.start();
    configBefore = files(relay.configDir);
  });
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });

  it('keeps the quarantine, its key and Haraka\'s queue in the data directory, and writes nothing in the configuration directory', async () => {
    expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, LETTER)).code).toBe(250);
    expect((await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, FORWARD)).response).toMatch(/^250 Held for review/);
    await sink.waitFor(1);
    const data = files(relay.dataDir);
    expect(data).toEqual(expect.arrayContaining(['quarantine.sqlite', 'quarantine.key', 'haraka/queue', 'haraka/config', 'haraka/plugins', 'haraka/dist']));
    expect(statSync(join(relay.dataDir, 'quarantine.key')).mode & 0o777).toBe(0o600);
    expect(statSync(relay.dataDir).mode & 0o777).toBe(0o700);
    expect(files(relay.configDir)).toEqual(configBefore);
  });

  it('logs with timestamps', () => {
    const lines = relay.output.split('\n').filter((l) => l.includes('[dlp]'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z? \[/);
  });

  it('--check says the relay would start, or what stops it, without starting it', () => {
    const check = execFileSync(process.execPath, [join(REPO_ROOT, 'bin/relay.js'), '--config', relay.configDir, '--data', relay.dataDir, '--check']).toString();
    expect(check).toMatch(/The relay would start: configuration .*config, data .*data\./);
    let failed: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [join(REPO_ROOT, 'bin/relay.js'), '--config', join(relay.dir, 'nowhere'), '--check'], { stdio: 'pipe' });
    } catch (error) {
      failed = { status: (error as { status: number }).status, stderr: String((error as { stderr: Buffer }).stderr) };
    }
    expect(failed).toMatchObject({ status: 2, stderr: expect.stringMatching(/^dlp relay: .*nowhere holds no dlp\.yaml/) });
  });
});

describe('bin/relay.js: the quarantine key', () => {
  it('refuses to start with a key that is not the one the quarantine was written with', async () => {
    const relay = await new HarakaRelay({ dlpYaml: YAML, smarthostPort: 9, launcher: true }).start();
    try {
      expect((await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, FORWARD)).response).toMatch(/^250 Held for review/);
      await relay.kill();
      writeFileSync(join(relay.dataDir, 'quarantine.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      let failed: { status: number; stderr: string } | undefined;
      try {
        execFileSync(process.execPath, [join(REPO_ROOT, 'bin/relay.js'), '--config', relay.configDir, '--data', relay.dataDir, '--check'], { stdio: 'pipe' });
      } catch (error) {
        failed = { status: (error as { status: number }).status, stderr: String((error as { stderr: Buffer }).stderr) };
      }
      expect(failed).toMatchObject({ status: 2, stderr: expect.stringMatching(/quarantine\.key is not the key the quarantine sqlite:.*quarantine\.sqlite was written with: put back the key file/) });
    } finally {
      await relay.stop();
    }
  });
});

describe('SIGTERM', () => {
  const sink = new SmtpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  afterEach(() => {
    sink.received.length = 0;
  });

  it('stops listening, lets a message being received finish and be delivered, turns new transactions away, and exits 0', async () => {
    const relay = await new HarakaRelay({ dlpYaml: YAML, smarthostPort: sink.port, launcher: true }).start();
    try {
      const sending = await RawSmtp.connect(relay.port);
      const idle = await RawSmtp.connect(relay.port);
      expect(await sending.command('EHLO mail.example-trust.org.uk')).toMatch(/^250/);
      expect(await idle.command('EHLO mail.example-trust.org.uk')).toMatch(/^250/);
      expect(await sending.command(`MAIL FROM:<${STAFF}>`)).toMatch(/^250/);
      expect(await sending.command(`RCPT TO:<${PARTNER}>`)).toMatch(/^250/);
      expect(await sending.command('DATA')).toMatch(/^354/);
      sending.write(LETTER.subarray(0, 40));

      relay.signal('SIGTERM');
      await relay.waitForOutput(/dlp: SIGTERM: no new connections; 1 message\(s\) in flight/);
      expect(await canConnect(relay.port)).toBe(false);
      expect(await idle.command(`MAIL FROM:<${STAFF}>`)).toMatch(/^421 4\.3\.2 The relay is restarting; try again in a minute\./);

      sending.write(Buffer.concat([LETTER.subarray(40), Buffer.from('.\r\n')]));
      expect(await sending.reply()).toMatch(/^250 /);
      expect((await sink.waitFor(1))[0]!.rcptTo).toEqual([PARTNER]);
      sending.write('QUIT\r\n');
      expect(await relay.exitCode(20_000)).toBe(0);
      expect(relay.output).toMatch(/dlp: stopped/);
    } finally {
      await relay.stop();
    }
  });

  it('answers 451 to a message still being checked when the grace period ends, delivers nothing, and exits 0', async () => {
    const relay = await new HarakaRelay({ dlpYaml: YAML, smarthostPort: sink.port, launcher: true, env: { DLP_STOP_GRACE_SECONDS: '1' } }).start();
    let worker: number | undefined;
    try {
      const timetable = await new MailComposer({
        from: STAFF,
        to: PARTNER,
        subject: 'Timetable for next term',
        text: 'The timetable is attached.',
        attachments: [{ filename: 'timetable.csv', content: timetableCsv(100_000) }],
      })
        .compile()
        .build();
      const answer = sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, timetable);
      // The process inspecting it is stopped: it stays in inspection for as long as the test likes.
      worker = await busyChild(relay.pid!);
      process.kill(worker, 'SIGSTOP');
      relay.signal('SIGTERM');
      const result = await answer;
      expect(result.response).toMatch(/^451 4\.3\.2 The relay is restarting; this message has not been sent and will be retried\. Ref DLP-/);
      const code = await relay.exitCode(20_000);
      expect(code).toBe(0);
      expect(relay.output).toMatch(/dlp: 1 message\(s\) still being checked were answered 451/);
      await waitForExit(worker, 5_000); // the stopped process did not outlive the relay
      expect(sink.received).toHaveLength(0);
    } finally {
      for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          if (worker) process.kill(worker, signal);
        } catch {
          // gone: the relay killed it
        }
      }
      await relay.stop();
    }
  }, 60_000);
});
