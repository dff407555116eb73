import type { DlpConfig } from '../../config/load.js';
import type { ClassifiedRecipient, Finding, NormalisedMessage } from '../../engine/types.js';
import type { Detector, InspectionContext } from '../types.js';
import { headerFindings } from './header-markers.js';
import { findQuotedMail, tookPart, type QuotedMail } from './quoted-mail.js';
import { subjectIntent, type SubjectIntent } from './subject.js';

/**
 * Finds mail forwarded by hand.
 *
 * - A forward subject prefix, an attached message or a forwarding client's header makes
 *   the whole message a forward.
 * - Quoted earlier mail in the body is judged per recipient, because Outlook quotes replies
 *   and forwards alike. Under a reply subject ("RE:"), it is a forward only for recipients
 *   who took part in none of the quoted mail. Without one (the prefix deleted, or a new
 *   message), lines that only forwards write count for everyone, and other quoted mail for
 *   anyone whose address is not in it.
 */
export class ForwardedMessageDetector implements Detector {
  readonly name = 'forwarded-message';

  constructor(private readonly config: DlpConfig) {}

  detect({ message, recipients }: InspectionContext): Finding[] {
    const patterns = this.config.forwarding;
    const findings: Finding[] = [];
    const subject = subjectIntent(message.subject, { forward: patterns.forwardPrefixes, reply: patterns.replyPrefixes });
    if (subject.intent === 'forward') {
      findings.push({
        kind: 'forwarded',
        location: 'subject',
        evidence: 'subject-forward-prefix',
        excerpt: `subject starts with a forward prefix (${subject.prefix}:)`,
      });
    }
    findings.push(...headerFindings(message.headers, patterns.forwardHeaders, 'forwarded'));
    // A delivery report carries the message it reports on: that is a bounce, not a forward.
    if (!isDeliveryReport(message)) {
      for (const attachment of message.attachments.filter((a) => a.isMessage)) {
        findings.push({
          kind: 'forwarded',
          location: `attachment:${attachment.filename || 'message.eml'}`,
          evidence: 'attached-message',
          excerpt: `an earlier email is attached (${attachment.contentType})`,
        });
      }
    }

    const quoted = findQuotedMail([message.text, message.htmlText], message.html, patterns);
    const markers = evidenceIds(quoted, subject.intent);
    if (markers.length === 0) return findings;
    const labels = this.labels(markers);
    if (subject.intent === 'forward') {
      findings.push({ kind: 'forwarded', location: 'body', evidence: markers[0]!, excerpt: labels });
      return findings;
    }
    const concerned = recipientsConcerned(quoted, subject.intent, recipients, message);
    if (concerned.length > 0) {
      findings.push({
        kind: 'forwarded',
        location: 'body',
        evidence: markers[0]!,
        excerpt: `${labels}, sent to ${concerned.length === 1 ? 'a recipient' : 'recipients'} who took no part in it`,
        recipients: concerned,
      });
    }
    return findings;
  }

  private labels(ids: string[]): string {
    const patterns = this.config.forwarding;
    const all = [...patterns.separators, ...patterns.quoteSeparators, ...patterns.htmlMarkers];
    return ids.map((id) => all.find((p) => p.id === id)?.label ?? BUILT_IN_LABELS[id] ?? id).join('; ');
  }
}

const BUILT_IN_LABELS: Record<string, string> = {
  'quoted-header-block': 'quoted earlier email (From / Sent / To / Subject block)',
  'quoted-reply': 'quoted earlier email ("On ... wrote:")',
};

/** Forward-only evidence first; reply attributions count only when the subject does not say reply. */
function evidenceIds(quoted: QuotedMail, intent: SubjectIntent): string[] {
  const ids = [...quoted.forwardMarkers, ...quoted.quoteMarkers];
  if (intent === 'new' && quoted.attributions > 0) ids.push('quoted-reply');
  return [...new Set(ids)];
}

function recipientsConcerned(
  quoted: QuotedMail,
  intent: SubjectIntent,
  recipients: readonly ClassifiedRecipient[],
  message: NormalisedMessage,
): string[] {
  const displayNames = new Map([...message.to, ...message.cc, ...message.bcc].map((m) => [m.address, m.name]));
  return recipients
    .filter((r) => r.class !== 'internal')
    .filter((r) => {
      // A display name is the sender's to write: it counts only in a reply.
      if (intent === 'reply') return !tookPart(quoted.participants, r.address, displayNames.get(r.address) ?? '');
      if (quoted.forwardMarkers.length > 0) return true;
      return !tookPart(quoted.participants, r.address);
    })
    .map((r) => r.address);
}

function isDeliveryReport(message: NormalisedMessage): boolean {
  const contentType = message.headers.find((h) => h.name === 'content-type')?.value ?? '';
  return /^\s*multipart\/report\b/i.test(contentType);
}

export const createForwardedMessageDetector = (config: DlpConfig): Detector => new ForwardedMessageDetector(config);
