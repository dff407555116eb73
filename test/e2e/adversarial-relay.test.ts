import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adversarialCorpus, PARTNER, STAFF, type CorpusCase } from '../support/adversarial-corpus.js';
import { HarakaRelay } from '../support/haraka-relay.js';
import { SHIPPED_CONFIG_DIR } from '../support/paths.js';
import { referenceIn, relayQueue } from '../support/relay-queue.js';
import { sendRaw, type SendResult } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

// The most dangerous cases of the corpus (those with a `relay` expectation), sent through a
// real Haraka running the shipped dlp.yaml to a real downstream server.
const cases = adversarialCorpus().filter((c): c is CorpusCase & { relay: NonNullable<CorpusCase['relay']> } => c.relay !== undefined);

const ORDINARY = Buffer.from(
  `From: ${STAFF}\r\nTo: <${PARTNER}>\r\nSubject: Coach times\r\nMessage-ID: <ordinary@example-trust.org.uk>\r\n\r\nThe coach leaves at 8.45.\r\n`,
);

describe('adversarial messages through a real relay', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;

  beforeAll(async () => {
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: readFileSync(join(SHIPPED_CONFIG_DIR, 'dlp.yaml'), 'utf8'), smarthostPort: sink.port }).start();
  });
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });
  afterEach(() => {
    sink.received.length = 0;
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const envelope = { from: c.envelope.mailFrom, to: c.envelope.rcptTo };
    const result = c.rawSocket ? await sendBytes(relay.port, envelope, c.raw) : await sendRaw(relay.port, envelope, c.raw);
    expect(result.code, result.response).toBe(c.relay.code);
    expect(result.response).toMatch(c.relay.reply);

    if (c.relay.delivered === 'nothing') {
      if (result.code === 250) {
        // Accepted but not delivered: it must be waiting in the review queue, not dropped.
        const queue = await relayQueue(relay);
        try {
          expect(await queue.get(referenceIn(result.response))).toMatchObject({ status: 'held', rcptTo: c.envelope.rcptTo });
        } finally {
          await queue.close();
        }
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(sink.received).toHaveLength(0);
      return;
    }
    const [received] = await sink.waitFor(1, 20_000);
    expect(received!.rcptTo).toEqual(c.envelope.rcptTo);
    const [headers, body] = splitMessage(received!.raw);
    const [sentHeaders, sentBody] = splitMessage(c.raw);
    expect(body.equals(sentBody), 'the body arrives byte for byte').toBe(true);
    const fields = headerFields(headers);
    expect(fields[0]).toMatch(/^Received: from /);
    expect(fields.at(-1)).toMatch(/^X-DLP-Verdict: pass; ref=DLP-/);
    expect(fields.slice(1, -1)).toEqual(headerFields(sentHeaders));
  });

  it('logs a refusal over the limits with its reason, and keeps serving', async () => {
    const overLimit = cases.find((c) => c.relay.code === 554)!;
    const result = await sendRaw(relay.port, { from: STAFF, to: overLimit.envelope.rcptTo }, overLimit.raw);
    const reference = /Ref (DLP-[0-9A-Z]{5}-[0-9A-Z]{5})/.exec(result.response)![1]!;
    await relay.waitForOutput(new RegExp(`"ref":"${reference}".*"outcome":"refuse-over-limit".*MessageLimitError`));

    expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, ORDINARY)).code).toBe(250);
    await sink.waitFor(1);
  });
});

/** Sends bytes exactly as given (no line-ending repair, no dot-stuffing) and returns the reply to DATA. */
async function sendBytes(port: number, envelope: { from: string; to: string[] }, data: Buffer): Promise<SendResult> {
  const socket = new Socket();
  let buffered = '';
  let waiting: (() => void) | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    waiting?.();
  });
  socket.on('close', () => {
    closed = true;
    waiting?.();
  });
  /** The next complete reply (its last line is "NNN text"). */
  const reply = async (): Promise<string> => {
    for (;;) {
      const end = /^\d{3} .*\r\n/m.exec(buffered);
      if (end) {
        const text = buffered.slice(0, end.index + end[0].length);
        buffered = buffered.slice(text.length);
        return text.trimEnd();
      }
      if (closed) throw new Error(`connection closed; got ${JSON.stringify(buffered)}`);
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  await new Promise<void>((resolve, reject) => socket.once('error', reject).connect(port, '127.0.0.1', resolve));
  try {
    await reply();
    for (const command of ['EHLO mail.example-trust.org.uk', `MAIL FROM:<${envelope.from}>`, ...envelope.to.map((to) => `RCPT TO:<${to}>`), 'DATA']) {
      socket.write(`${command}\r\n`);
      await reply();
    }
    socket.write(Buffer.concat([data, Buffer.from('\r\n.\r\n')]));
    const response = await reply();
    const code = Number(response.slice(0, 3));
    return { accepted: code < 400, code, response };
  } finally {
    socket.destroy();
  }
}

function splitMessage(raw: Buffer): [Buffer, Buffer] {
  const end = raw.indexOf('\r\n\r\n');
  return [raw.subarray(0, end + 2), raw.subarray(end + 4)];
}

/** Header fields with their folded continuation lines, exactly as sent. */
function headerFields(block: Buffer): string[] {
  return block.toString('latin1').split(/\r\n(?![ \t])/).filter((field) => field !== '');
}
