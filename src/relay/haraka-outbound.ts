/**
 * Releases a held message through Haraka's own outbound queue, so it takes the same route as
 * any other message (smtp_forward's smarthost, or MX) with Haraka's retries, and the bytes
 * go out exactly as they were received. Haraka's `send_email` decodes the message as UTF-8
 * line by line, which would mangle 8-bit mail in other charsets: we feed it raw lines.
 */
import { createRequire } from 'node:module';
import constants from 'haraka-constants';
import { PermanentDeliveryError, type MailEnvelope, type MailTransport } from '../notify/mailer.js';
import type { Delivery } from '../quarantine/decisions.js';
import { VERDICT_HEADER } from './smtp-reply.js';

const require = createRequire(import.meta.url);
/** Resolves as Haraka itself does, so `Address` is the class its outbound code expects. */
const requireFromHaraka = createRequire(require.resolve('haraka/outbound'));

interface HarakaOutbound {
  send_trans_email(transaction: unknown, next: (code: number, message?: string) => void): void;
}
interface HarakaTransactionModule {
  createTransaction(uuid: string | null, cfg: unknown): {
    mail_from: unknown;
    rcpt_to: unknown[];
    notes: Record<string, unknown>;
    add_data(line: Buffer): void;
    message_stream: { add_line_end(): void };
  };
}

/** Outbound note naming the next hop of a released message (read back by the plugin's get_mx hook, even after a restart). */
export const RELEASE_VIA_NOTE = 'dlp_release_via';

/**
 * Puts a message on Haraka's outbound queue: on disk before this resolves, then delivered
 * with Haraka's own retries, to `via` (through the plugin's get_mx hook) or by MX.
 */
export function queueOnHarakaOutbound(message: {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  via?: { host: string; port: number } | undefined;
  notes?: Record<string, string>;
}): Promise<void> {
  // Haraka's own module instances: the same files the running server loaded.
  const outbound = require('haraka/outbound') as HarakaOutbound;
  const transactions = require('haraka/transaction') as HarakaTransactionModule;
  const { Address } = requireFromHaraka('@haraka/email-address') as { Address: new (address: string) => unknown };
  const transaction = transactions.createTransaction(null, { headers: { max_lines: 1000 } });
  transaction.mail_from = new Address(message.mailFrom ? `<${message.mailFrom}>` : '<>');
  transaction.rcpt_to = message.rcptTo.map((r) => new Address(`<${r}>`));
  Object.assign(transaction.notes, message.notes);
  if (message.via) transaction.notes[RELEASE_VIA_NOTE] = `${message.via.host}:${message.via.port}`;
  for (const line of dotStuffedLines(message.raw)) transaction.add_data(line);
  transaction.message_stream.add_line_end();
  return new Promise((resolve, reject) => {
    outbound.send_trans_email(transaction, (code, reply) =>
      code === constants.OK ? resolve() : reject(new Error(`Haraka's outbound queue refused the message: ${reply ?? code}`)),
    );
  });
}

/** Releases a held message: the bytes as held, with our verdict header, through Haraka's outbound queue. */
export class HarakaOutboundDelivery implements Delivery {
  constructor(private readonly releaseVia?: { host: string; port: number }) {}

  deliver({ reference, mailFrom, rcptTo, raw }: { reference: string; mailFrom: string; rcptTo: string[]; raw: Buffer }): Promise<void> {
    return queueOnHarakaOutbound({ mailFrom, rcptTo, raw: releasedMessage(raw, reference), via: this.releaseVia, notes: { dlp_released: reference } });
  }
}

/** The relay's own email (guidance, reminders) through Haraka's outbound queue, when no submission server is configured. */
export class HarakaQueueTransport implements MailTransport {
  readonly name: string;

  constructor(private readonly via?: { host: string; port: number }) {
    this.name = via ? `the relay's outbound queue, via ${via.host}:${via.port}` : "the relay's outbound queue, by MX";
  }

  async deliver(envelope: MailEnvelope, raw: Buffer): Promise<void> {
    let queued: Promise<void>;
    try {
      queued = queueOnHarakaOutbound({ mailFrom: envelope.from, rcptTo: envelope.to, raw, via: this.via, notes: { dlp_notice: 'yes' } });
    } catch (error) {
      // An address Haraka cannot parse will not parse next time either.
      throw new PermanentDeliveryError(`Haraka's outbound queue cannot take it: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    await queued;
  }
}

/**
 * The held bytes with one change to the header: any `X-DLP-Verdict` the sender wrote is
 * dropped (the relay strips it from every message it delivers, so a sender cannot forge a
 * clean verdict) and ours says a reviewer released it. The body is untouched.
 */
export function releasedMessage(raw: Buffer, reference: string): Buffer {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = end === -1 ? text : text.slice(0, end);
  const kept: string[] = [];
  let dropping = false;
  for (const line of header.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    dropping = new RegExp(`^${VERDICT_HEADER}:`, 'i').test(line);
    if (!dropping) kept.push(line);
  }
  const ours = `${VERDICT_HEADER}: released; ref=${reference}\r\n`;
  return Buffer.concat([Buffer.from(ours + kept.join(''), 'latin1'), raw.subarray(header.length)]);
}

/** The message as SMTP DATA lines: CRLF endings, and a leading dot doubled (Haraka stores DATA dot-stuffed). */
export function* dotStuffedLines(raw: Buffer): Generator<Buffer> {
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0x0a, start);
    end = end === -1 ? raw.length : end + 1;
    let line = raw.subarray(start, end);
    if (line.at(-1) !== 0x0a) line = Buffer.concat([line, Buffer.from('\r\n')]);
    else if (line.at(-2) !== 0x0d) line = Buffer.concat([line.subarray(0, -1), Buffer.from('\r\n')]);
    yield line[0] === 0x2e ? Buffer.concat([Buffer.from('.'), line]) : line;
    start = end;
  }
}
