/**
 * The relay's own email (guidance to senders, reminders to reviewers): composed by
 * nodemailer, handed to the outbox (./outbox.ts), which keeps it on disk until a transport
 * takes it: the trust's submission server, or the relay's own outbound queue.
 */
import { readFileSync } from 'node:fs';
import nodemailer, { type SMTPSentMessageInfo } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { NotificationSettings } from '../config/quarantine.js';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /**
   * `auto-replied` for a notice about a message someone sent (RFC 3834), `auto-generated`
   * for the relay's own (a reminder). Either way, autoresponders leave it alone.
   */
  autoSubmitted: 'auto-replied' | 'auto-generated';
  /** Send with a null return path (MAIL FROM:<>), so that a bounce of it goes nowhere rather than back into a loop. */
  nullReturnPath?: boolean;
  /** The Message-ID of the message it is about: mail programs show the notice in that conversation. */
  inReplyTo?: string;
  /** `X-DLP-Notice`: what it is and the reference ("hold; ref=DLP-…"), for tracing and tests. */
  notice?: string;
  /** For the log: what this is ("hold notice for DLP-…"), never message content. */
  label: string;
}

export interface Mailer {
  /** Resolves once the email is kept durably for sending (not once delivered); rejects when it cannot be. */
  send(mail: OutgoingMail): Promise<void>;
}

export interface MailEnvelope {
  /** '' for the null return path. */
  from: string;
  to: string[];
}

/** A way out for composed mail. A `PermanentDeliveryError` means retrying cannot help. */
export interface MailTransport {
  readonly name: string;
  deliver(envelope: MailEnvelope, raw: Buffer): Promise<void>;
  close?(): void;
}

export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/** The email as bytes, with the headers that keep it out of autoresponders and loops, and its envelope. */
export async function composeMail(mail: OutgoingMail, from: string): Promise<{ envelope: MailEnvelope; raw: Buffer }> {
  const headers: Record<string, string> = {
    'Auto-Submitted': mail.autoSubmitted,
    'X-Auto-Response-Suppress': 'All',
    Precedence: 'auto_reply',
    ...(mail.notice ? { 'X-DLP-Notice': mail.notice } : {}),
  };
  const composer = new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html ? { html: mail.html } : {}),
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo, references: [mail.inReplyTo] } : {}),
    headers,
  });
  const raw = await new Promise<Buffer>((resolve, reject) => composer.compile().build((error, message) => (error ? reject(error) : resolve(message))));
  return { envelope: { from: mail.nullReturnPath ? '' : addressOf(from), to: mail.to }, raw };
}

/** "Email data protection <dlp@trust.org.uk>" → "dlp@trust.org.uk". */
export function addressOf(from: string): string {
  const [first] = addressparser(from, { flatten: true });
  return first?.address ?? from.trim();
}

/** The trust's mail server, by authenticated submission (STARTTLS when offered, or implicit TLS). */
export function submissionTransport(settings: NonNullable<NotificationSettings['submission']>): MailTransport {
  const { host, port, secure, user, passwordFile, heloName } = settings;
  const transport = nodemailer.createTransport({
    name: heloName,
    // One connection kept open and reused: the outbox sends one email at a time, and a new
    // connection per email costs several round trips (about 100 ms each email on loopback).
    pool: true,
    maxConnections: 1,
    host,
    port,
    secure,
    ...(user ? { auth: { user, pass: passwordFile ? readFileSync(passwordFile, 'utf8').trim() : '' } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    name: `submission to ${host}:${port}`,
    async deliver(envelope, raw) {
      let info: SMTPSentMessageInfo;
      try {
        info = await transport.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw });
      } catch (error) {
        const { responseCode, code } = error as { responseCode?: number; code?: string };
        // A 5xx answer to this message's sender, recipient or content will be the same next time. A refused
        // sign-in or connection is the server's set-up, not the message's: kept and retried until it is fixed.
        if (responseCode !== undefined && responseCode >= 500 && (code === 'EENVELOPE' || code === 'EMESSAGE')) {
          throw new PermanentDeliveryError(String((error as Error).message), { cause: error });
        }
        throw error;
      }
      // nodemailer succeeds when any recipient is taken; the outbox sends to one at a time, so any refusal is a failure.
      const refused = info.rejectedErrors?.[0];
      if (refused || (info.rejected?.length ?? 0) > 0) {
        const message = `recipient refused: ${refused?.message ?? String(info.rejected?.[0])}`;
        throw (refused?.responseCode ?? 0) >= 500 ? new PermanentDeliveryError(message) : new Error(message);
      }
    },
    close: () => transport.close(),
  };
}
