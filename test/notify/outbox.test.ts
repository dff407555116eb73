/**
 * The outbox (src/notify/outbox.ts) over a real SMTP submission (src/notify/mailer.ts):
 * what arrives, and what happens when the server is down, refuses, or defers.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { addressOf, composeMail, PermanentDeliveryError, submissionTransport, type MailTransport, type OutgoingMail } from '../../src/notify/mailer.js';
import { MailOutbox, type OutboxLog, type RetrySettings } from '../../src/notify/outbox.js';
import { freePort } from '../support/haraka-relay.js';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.js';

const FROM = 'Email data protection <dlp@example-trust.org.uk>';

/** An SMTP server on a port of our choosing, that counts connections and RCPTs and may refuse or defer. */
class TestServer {
  readonly received: ReceivedMessage[] = [];
  connections = 0;
  rcpts = 0;
  datas = 0;
  port = 0;
  /** The name each client greeted with (EHLO). */
  readonly greetings: string[] = [];
  private readonly server: SMTPServer;

  /** How it answers RCPT and DATA (a code, or accept), and how long it takes to answer RCPT; may change as it runs. */
  constructor(public answer: { rcpt?: number; data?: number; rcptDelayMs?: number } = {}) {
    const refusal = (code: number): Error => Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code });
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      disableReverseLookup: true,
      logger: false,
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onRcptTo: (_address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        this.rcpts += 1;
        const { rcpt, rcptDelayMs } = this.answer;
        setTimeout(() => callback(rcpt ? refusal(rcpt) : undefined), rcptDelayMs ?? 0);
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        this.datas += 1;
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (this.answer.data) return callback(refusal(this.answer.data));
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.received.push({ mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks), secure: session.secure });
          this.greetings.push(session.hostNameAppearsAs);
          callback();
        });
      },
    });
    this.server.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function mail(overrides: Omit<Partial<OutgoingMail>, 'html'> & { html?: string | undefined } = {}): OutgoingMail {
  const { html, ...rest } = { html: '<p>Your email is <b>held</b> for review. Reference DLP-AAAAA-BBBBB.</p>', ...overrides };
  return {
    to: ['teacher@example-school.sch.uk'],
    subject: 'Your email to parent@example.com is held for review',
    text: 'Your email is held for review. Reference DLP-AAAAA-BBBBB.',
    ...(html === undefined ? {} : { html }),
    autoSubmitted: 'auto-replied',
    notice: 'hold; ref=DLP-AAAAA-BBBBB',
    label: 'hold notice for DLP-AAAAA-BBBBB',
    ...rest,
  };
}

type LogFn = Mock<(message: string) => void>;

function fakeLog(): { info: LogFn; warn: LogFn; crit: LogFn } {
  return { info: vi.fn<(message: string) => void>(), warn: vi.fn<(message: string) => void>(), crit: vi.fn<(message: string) => void>() };
}

function messages(fn: LogFn): string[] {
  return fn.mock.calls.map((call) => String(call[0]));
}

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The spool's own files (not temporary ones, not failed/). */
/** Emails in the outbox: waiting (`.json`), or claimed by a process sending them (`.json.<pid>.claim`). */
function spooled(dir: string): string[] {
  return readdirSync(dir).filter((name) => (name.endsWith('.json') || name.endsWith('.claim')) && !name.startsWith('.'));
}

function failed(dir: string): string[] {
  return readdirSync(join(dir, 'failed'));
}

const FAST: RetrySettings = { firstDelayMs: 200, maxDelayMs: 1_000, giveUpAfterMs: 60_000 };

let dir: string;
let cleanup: Array<() => unknown>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dlp-outbox-'));
  cleanup = [];
});

afterEach(async () => {
  // Outboxes first (they may be mid-attempt), then transports and servers.
  for (const step of cleanup.reverse()) await step();
  rmSync(dir, { recursive: true, force: true });
});

function outbox(port: number, options: { log?: OutboxLog; retry?: RetrySettings; now?: () => number; start?: boolean } = {}): MailOutbox {
  const transport = submissionTransport({ host: '127.0.0.1', port, secure: false, heloName: 'relay.example-trust.org.uk' });
  const box = new MailOutbox(dir, {
    from: () => FROM,
    transport: () => transport,
    retry: () => options.retry ?? FAST,
    log: options.log ?? fakeLog(),
    ...(options.now ? { now: options.now } : {}),
  });
  cleanup.push(() => transport.close?.());
  cleanup.push(() => box.close());
  return options.start === false ? box : box.start();
}

async function sink(): Promise<SmtpSink> {
  const server = await new SmtpSink().start();
  cleanup.push(() => server.stop());
  return server;
}

async function server(answer: TestServer['answer'] = {}, port = 0): Promise<TestServer> {
  const s = await new TestServer(answer).listen(port);
  cleanup.push(() => s.stop());
  return s;
}

describe('composing', () => {
  it('takes the envelope sender from the address in From:, or <> for the null return path', async () => {
    expect(addressOf(FROM)).toBe('dlp@example-trust.org.uk');
    expect(addressOf('dlp@example-trust.org.uk')).toBe('dlp@example-trust.org.uk');
    expect((await composeMail(mail(), FROM)).envelope).toEqual({ from: 'dlp@example-trust.org.uk', to: ['teacher@example-school.sch.uk'] });
    expect((await composeMail(mail({ nullReturnPath: true }), FROM)).envelope).toEqual({ from: '', to: ['teacher@example-school.sch.uk'] });
  });
});

describe('sending through the outbox by SMTP submission', () => {
  it('delivers a notice with MAIL FROM:<>, the loop-proof headers, threading, and text and HTML parts; the spool is then empty', async () => {
    const smtp = await sink();
    const log = fakeLog();
    const box = outbox(smtp.port, { log });
    await box.send(mail({ nullReturnPath: true, inReplyTo: '<original-123@example-school.sch.uk>' }));

    const [received] = await smtp.waitFor(1, 5_000);
    expect(received!.mailFrom).toBe('');
    expect(received!.rcptTo).toEqual(['teacher@example-school.sch.uk']);

    const parsed = await simpleParser(received!.raw);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.headers.get('x-auto-response-suppress')).toBe('All');
    expect(parsed.headers.get('x-dlp-notice')).toBe('hold; ref=DLP-AAAAA-BBBBB');
    expect(parsed.headers.get('precedence')).toBe('auto_reply');
    expect(parsed.inReplyTo).toBe('<original-123@example-school.sch.uk>');
    expect(parsed.references).toBe('<original-123@example-school.sch.uk>');
    expect(parsed.subject).toBe('Your email to parent@example.com is held for review');
    expect(parsed.from?.value).toEqual([{ address: 'dlp@example-trust.org.uk', name: 'Email data protection' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value.map((a) => a.address) : parsed.to).toEqual(['teacher@example-school.sch.uk']);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text?.trim()).toBe('Your email is held for review. Reference DLP-AAAAA-BBBBB.');
    expect(parsed.html).toContain('<p>Your email is <b>held</b> for review. Reference DLP-AAAAA-BBBBB.</p>');

    await waitUntil('the spool file to go', () => spooled(dir).length === 0);
    expect(readdirSync(dir).filter((name) => name !== 'failed')).toEqual([]);
    expect(failed(dir)).toEqual([]);
    expect(await box.pending()).toBe(0);
    expect(messages(log.info).some((m) => m.includes('hold notice for DLP-AAAAA-BBBBB') && m.includes('teacher@example-school.sch.uk'))).toBe(true);
    expect(log.warn).not.toHaveBeenCalled();
    expect(log.crit).not.toHaveBeenCalled();
  });

  it('without nullReturnPath, sends from the address in From:, with no threading headers when there is nothing to reply to', async () => {
    const smtp = await sink();
    await outbox(smtp.port).send(mail({ autoSubmitted: 'auto-generated', html: undefined }));
    const [received] = await smtp.waitFor(1, 5_000);
    expect(received!.mailFrom).toBe('dlp@example-trust.org.uk');
    const parsed = await simpleParser(received!.raw);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.has('in-reply-to')).toBe(false);
    expect(parsed.headers.has('references')).toBe(false);
    expect(parsed.html).toBe(false);
    expect(parsed.text?.trim()).toBe('Your email is held for review. Reference DLP-AAAAA-BBBBB.');
  });

  it('keeps the email while the server is down, logs the failed attempt, and delivers it once the server listens', async () => {
    const port = await freePort();
    const log = fakeLog();
    const box = outbox(port, { log });
    await box.send(mail());
    expect(await box.pending()).toBe(1);

    await waitUntil('a warning', () => log.warn.mock.calls.length > 0);
    const [warning] = messages(log.warn);
    expect(warning).toContain('hold notice for DLP-AAAAA-BBBBB');
    expect(warning).toContain('attempt 1');
    expect(await box.pending()).toBe(1);
    expect(failed(dir)).toEqual([]);

    const smtp = await server({}, port);
    await waitUntil('delivery', () => smtp.received.length > 0, 5_000);
    await waitUntil('the spool file to go', async () => (await box.pending()) === 0);
    // Another retry round would send it again if the file were still there.
    await sleep(FAST.firstDelayMs * 2);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.rcptTo).toEqual(['teacher@example-school.sch.uk']);
    // It greets with the relay's own name (config/me), not the machine's.
    expect(smtp.greetings).toEqual(['relay.example-trust.org.uk']);
    expect(failed(dir)).toEqual([]);
    expect(log.crit).not.toHaveBeenCalled();
    expect(messages(log.info).some((m) => m.includes('hold notice for DLP-AAAAA-BBBBB') && /after \d+ attempts/.test(m))).toBe(true);
  });

  it.each([
    ['the recipient', { rcpt: 550 }],
    ['the message', { data: 554 }],
  ])('gives up at once when the server refuses %s with a 5xx: failed/, critical, no second attempt', async (_what, answer) => {
    const smtp = await server(answer);
    const log = fakeLog();
    const box = outbox(smtp.port, { log, retry: { firstDelayMs: 50, maxDelayMs: 100, giveUpAfterMs: 60_000 } });
    await box.send(mail());

    await waitUntil('a critical log', () => log.crit.mock.calls.length > 0);
    expect(messages(log.crit)).toHaveLength(1);
    expect(messages(log.crit)[0]).toContain('hold notice for DLP-AAAAA-BBBBB');
    await waitUntil('the file in failed/', () => failed(dir).length === 1);
    expect(spooled(dir)).toEqual([]);
    expect(await box.pending()).toBe(0);
    const kept = JSON.parse(readFileSync(join(dir, 'failed', failed(dir)[0]!), 'utf8')) as { attempts: number; lastError?: string };
    expect(kept.attempts).toBe(1);
    expect(kept.lastError).toMatch(/55\d/);

    // Several retry delays later: still one attempt.
    await sleep(400);
    expect(smtp.connections).toBe(1);
    expect(smtp.rcpts).toBe(1);
    expect(smtp.received).toEqual([]);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('retries a 451 with a growing delay, then gives up (failed/, critical) once giveUpAfterMs has passed', async () => {
    const smtp = await server({ rcpt: 451 });
    const log = fakeLog();
    let clock = 1_700_000_000_000;
    const retry: RetrySettings = { firstDelayMs: 100, maxDelayMs: 150, giveUpAfterMs: 3_600_000 };
    const box = outbox(smtp.port, { log, retry, now: () => clock });
    await box.send(mail());
    const file = () => JSON.parse(readFileSync(join(dir, spooled(dir)[0]!), 'utf8')) as { attempts: number; nextAttemptAt: number };

    await waitUntil('attempt 1', () => log.warn.mock.calls.length === 1);
    expect(messages(log.warn)[0]).toContain('attempt 1');
    expect(file()).toMatchObject({ attempts: 1, nextAttemptAt: clock + 100 });
    // Not due yet on the outbox's clock: no attempt, however long we wait.
    await sleep(300);
    expect(smtp.rcpts).toBe(1);

    clock += 100;
    await waitUntil('attempt 2', () => log.warn.mock.calls.length === 2);
    expect(messages(log.warn)[1]).toContain('attempt 2');
    expect(file()).toMatchObject({ attempts: 2, nextAttemptAt: clock + 150 }); // 200, capped at maxDelayMs
    expect(smtp.rcpts).toBe(2);

    clock += 150;
    await waitUntil('attempt 3', () => log.warn.mock.calls.length === 3);
    expect(file()).toMatchObject({ attempts: 3, nextAttemptAt: clock + 150 });
    expect(failed(dir)).toEqual([]);
    expect(log.crit).not.toHaveBeenCalled();

    clock += 3_600_000;
    await waitUntil('a critical log', () => log.crit.mock.calls.length > 0);
    expect(messages(log.crit)[0]).toContain('hold notice for DLP-AAAAA-BBBBB');
    await waitUntil('the file in failed/', () => failed(dir).length === 1);
    expect(spooled(dir)).toEqual([]);
    expect(smtp.rcpts).toBe(4);
    expect(log.warn).toHaveBeenCalledTimes(3);
    await sleep(300);
    expect(smtp.rcpts).toBe(4);
    expect(smtp.received).toEqual([]);
  });

  it('retries a 451 with small real timings and gives up after giveUpAfterMs', async () => {
    const smtp = await server({ data: 451 });
    const log = fakeLog();
    const box = outbox(smtp.port, { log, retry: { firstDelayMs: 50, maxDelayMs: 100, giveUpAfterMs: 500 } });
    const started = Date.now();
    await box.send(mail());
    await waitUntil('a critical log', () => log.crit.mock.calls.length > 0, 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(log.warn.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(smtp.datas).toBe(log.warn.mock.calls.length + 1);
    await waitUntil('the file in failed/', () => failed(dir).length === 1);
    expect(await box.pending()).toBe(0);
  });

  it('after a restart, a new outbox on the same directory sends what the closed one left', async () => {
    const port = await freePort();
    const firstLog = fakeLog();
    const first = outbox(port, { log: firstLog });
    await first.send(mail());
    await waitUntil('a failed attempt', () => firstLog.warn.mock.calls.length > 0);
    await first.close();
    expect(spooled(dir)).toHaveLength(1);

    // The closed outbox tries no more, even once the server is there.
    const smtp = await server({}, port);
    await sleep(FAST.firstDelayMs * 3);
    expect(smtp.connections).toBe(0);
    expect(spooled(dir)).toHaveLength(1);

    const log = fakeLog();
    const second = outbox(port, { log, start: false });
    second.start();
    await waitUntil('delivery', () => smtp.received.length > 0, 5_000);
    await waitUntil('the spool file to go', async () => (await second.pending()) === 0);
    await sleep(FAST.firstDelayMs * 2);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.rcptTo).toEqual(['teacher@example-school.sch.uk']);
    expect(failed(dir)).toEqual([]);
  });

  it('close() waits for the attempt under way, and then tries no more', async () => {
    const smtp = await server({ rcpt: 451, rcptDelayMs: 300 });
    const log = fakeLog();
    const box = outbox(smtp.port, { log, retry: { firstDelayMs: 50, maxDelayMs: 100, giveUpAfterMs: 60_000 } });
    await box.send(mail());
    await waitUntil('the attempt to reach RCPT', () => smtp.rcpts === 1);
    await box.close();
    // The deferral came in before close() resolved, and was recorded.
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(spooled(dir)).toHaveLength(1);

    smtp.answer = {};
    await sleep(400);
    expect(smtp.rcpts).toBe(1);
    expect(smtp.received).toEqual([]);
    expect(spooled(dir)).toHaveLength(1);
  });

  it('moves a corrupt spool file to failed/ and still sends the rest', async () => {
    const smtp = await sink();
    // Sorted first, so it is read before the good one.
    writeFileSync(join(dir, '000000000-corrupt.json'), '{"label": "half a fi');
    const log = fakeLog();
    const box = outbox(smtp.port, { log, start: false });
    await box.send(mail());
    box.start();

    await smtp.waitFor(1, 5_000);
    await waitUntil('the spool to empty', () => spooled(dir).length === 0);
    expect(failed(dir)).toEqual(['000000000-corrupt.json']);
    expect(readFileSync(join(dir, 'failed', '000000000-corrupt.json'), 'utf8')).toBe('{"label": "half a fi');
    expect(messages(log.crit)).toHaveLength(1);
    expect(messages(log.crit)[0]).toContain('000000000-corrupt.json');
    expect(smtp.received).toHaveLength(1);
  });

  it('counts what waits: pending() ignores temporary files and failed/', async () => {
    const port = await freePort();
    const log = fakeLog();
    const box = outbox(port, { log });
    expect(await box.pending()).toBe(0);
    await box.send(mail({ label: 'one' }));
    await box.send(mail({ label: 'two' }));
    await box.send(mail({ label: 'three' }));
    expect(await box.pending()).toBe(3);
    writeFileSync(join(dir, '.000000000-writing.json.tmp'), '{}');
    writeFileSync(join(dir, 'failed', '000000000-old.json'), '{}');
    expect(await box.pending()).toBe(3);

    const smtp = await server({}, port);
    await waitUntil('all three delivered', () => smtp.received.length === 3, 5_000);
    await waitUntil('the spool to empty', async () => (await box.pending()) === 0);
    expect(smtp.received).toHaveLength(3);
  });
});

describe('submissionTransport', () => {
  let transport: MailTransport | undefined;
  afterEach(() => transport?.close?.());

  it('makes a 5xx a PermanentDeliveryError, and a 4xx or a refused connection an ordinary error', async () => {
    const raw = Buffer.from('From: dlp@example-trust.org.uk\r\nTo: t@example-school.sch.uk\r\nSubject: x\r\n\r\nx\r\n');
    const envelope = { from: '', to: ['t@example-school.sch.uk'] };

    const refusing = await server({ rcpt: 550 });
    transport = submissionTransport({ host: '127.0.0.1', port: refusing.port, secure: false, heloName: 'relay.example-trust.org.uk' });
    await expect(transport.deliver(envelope, raw)).rejects.toBeInstanceOf(PermanentDeliveryError);
    transport.close?.();

    const deferring = await server({ rcpt: 451 });
    transport = submissionTransport({ host: '127.0.0.1', port: deferring.port, secure: false, heloName: 'relay.example-trust.org.uk' });
    const deferred = await transport.deliver(envelope, raw).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(deferred).toBeInstanceOf(Error);
    expect(deferred).not.toBeInstanceOf(PermanentDeliveryError);
    transport.close?.();

    transport = submissionTransport({ host: '127.0.0.1', port: await freePort(), secure: false, heloName: 'relay.example-trust.org.uk' });
    const refused = await transport.deliver(envelope, raw).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(PermanentDeliveryError);
  });
});

describe('outbox: regressions found in review', () => {
  it.each(['{}', 'null', '[]', '{"label":"x","raw":"","envelope":{"from":"","to":[]},"createdAt":0,"attempts":0,"nextAttemptAt":0}'])(
    'a spool file that is JSON of the wrong shape (%s) goes to failed/ and does not hold up the rest',
    async (content) => {
      const smtp = await sink();
      writeFileSync(join(dir, '000000000-wrong.json'), content);
      const log = fakeLog();
      const box = outbox(smtp.port, { log, start: false });
      await box.send(mail());
      box.start();
      await smtp.waitFor(1, 5_000);
      await waitUntil('the spool to empty', () => spooled(dir).length === 0);
      expect(failed(dir)).toEqual(['000000000-wrong.json']);
      expect(messages(log.crit)[0]).toContain('not an outbox email');
    },
  );

  it('one recipient deferred and another taken: the taken one is sent once, the deferred one retried until taken', async () => {
    let deferring = true;
    const received: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      disableReverseLookup: true,
      logger: false,
      onRcptTo: (address, _session, callback) =>
        callback(deferring && address.address === 'later@example-trust.org.uk' ? Object.assign(new Error('Mailbox busy'), { responseCode: 451 }) : undefined),
      onData: (stream, session, callback) => {
        stream.resume();
        stream.on('end', () => {
          received.push(...session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
    const log = fakeLog();
    const box = outbox((smtp.server.address() as AddressInfo).port, { log });
    await box.send(mail({ to: ['now@example-trust.org.uk', 'later@example-trust.org.uk'] }));
    await waitUntil('a deferral', () => messages(log.warn).some((m) => m.includes('later@example-trust.org.uk')));
    await waitUntil('the taken one', () => received.length === 1);
    expect(received).toEqual(['now@example-trust.org.uk']);
    // The server counts the email at the end of its data, a moment before the outbox hears 250 and takes its file off the spool.
    await waitUntil('the sent one off the spool', async () => (await box.pending()) === 1);
    expect(received).toEqual(['now@example-trust.org.uk']);
    deferring = false;
    await waitUntil('the outbox to empty', async () => (await box.pending()) === 0);
    expect(received).toEqual(['now@example-trust.org.uk', 'later@example-trust.org.uk']);
  });
});

describe('outbox: second review', () => {
  it('two relay processes sharing one outbox directory send each email once', async () => {
    const smtp = await sink();
    const first = outbox(smtp.port, { start: false });
    const secondTransport = submissionTransport({ host: '127.0.0.1', port: smtp.port, secure: false, heloName: 'relay.example-trust.org.uk' });
    // Another process: claims under another live process's id (vitest's parent stands in for it).
    const second = new MailOutbox(dir, { from: () => FROM, transport: () => secondTransport, retry: () => FAST, log: fakeLog(), claimId: process.ppid });
    cleanup.push(() => secondTransport.close?.());
    cleanup.push(() => second.close());
    for (let i = 0; i < 20; i++) await first.send(mail({ label: `notice ${i}`, subject: `notice ${i}` }));
    first.start();
    second.start();
    await smtp.waitFor(20, 10_000);
    await waitUntil('the spool to empty', async () => (await first.pending()) === 0);
    await new Promise((r) => setTimeout(r, 300));
    const labels = smtp.received.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString())?.[1]);
    expect(labels.length, JSON.stringify(labels)).toBe(20);
    expect(failed(dir)).toEqual([]);
  });

  it('an email claimed by a process that has gone is sent after a restart', async () => {
    const smtp = await sink();
    const box = outbox(smtp.port, { start: false });
    await box.send(mail());
    await box.close();
    const [name] = spooled(dir);
    // As a crashed process would leave it: claimed by a pid that no longer runs.
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, name!), join(dir, `${name}.999999999.claim`));
    expect(spooled(dir)).toEqual([`${name}.999999999.claim`]);
    outbox(smtp.port);
    await smtp.waitFor(1, 5_000);
    await waitUntil('the claim to go', () => readdirSync(dir).filter((n) => n !== 'failed').length === 0);
  });

  it('a transport that cannot be made counts as a failed attempt, and is given up in time', async () => {
    const log = fakeLog();
    let now = 1_000_000;
    const box = new MailOutbox(dir, {
      from: () => FROM,
      transport: () => {
        throw new Error('notifications: is no longer configured');
      },
      retry: () => ({ firstDelayMs: 10, maxDelayMs: 10, giveUpAfterMs: 1_000 }),
      log,
      now: () => now,
    });
    cleanup.push(() => box.close());
    await box.send(mail());
    await waitUntil('a failed attempt', () => messages(log.warn).some((m) => m.includes('attempt 1')));
    now += 2_000;
    box.start();
    await waitUntil('give-up', () => failed(dir).length === 1);
    expect(messages(log.crit)[0]).toContain('notifications: is no longer configured');
  });
});
