/** The relay's own outgoing email (reminders now, sender guidance later), through the trust's submission server. */
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { NotificationSettings } from '../config/quarantine.js';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

export function submissionMailer(settings: NotificationSettings): Mailer {
  const { host, port, secure, user, passwordFile } = settings.submission;
  const transport = nodemailer.createTransport({
    host,
    port,
    secure,
    ...(user ? { auth: { user, pass: passwordFile ? readFileSync(passwordFile, 'utf8').trim() : '' } } : {}),
  });
  return {
    async send(mail) {
      await transport.sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        // The relay's own mail: never answered by autoresponders, never judged again as staff mail.
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      });
    },
  };
}
