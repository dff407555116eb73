import type { DlpConfig } from '../../config/load.js';
import type { Finding } from '../../engine/types.js';
import type { Detector, InspectionContext } from '../types.js';
import { headerFindings } from './auto-forwarded.js';
import { findQuotedMail, tookPart } from './quoted-mail.js';
import { subjectIntent } from './subject.js';

const DESCRIPTIONS: Record<string, string> = {
  'subject-forward-prefix': 'subject starts with a forward prefix',
  'attached-message': 'an earlier email is attached',
  'quoted-header-block': 'quoted earlier email (From / Sent / To / Subject block)',
  'outlook-original-message': 'quoted earlier email ("Original Message" line)',
  'forwarded-message-line': '"Forwarded message" line',
  'apple-mail-forward-intro': 'Apple Mail "Begin forwarded message" line',
  'thunderbird-forward-container': 'Thunderbird forwarded-message block',
  'gmail-forward-quote': 'Gmail forwarded-message block',
};

/**
 * Finds mail forwarded by hand. A forward prefix or an attached message makes the whole
 * message a forward. Quoted earlier mail in the body (forward separators, Outlook header
 * blocks) is a forward only for recipients who took part in none of it: a reply to the
 * people in the thread is a reply, even though Outlook quotes it the same way.
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
        excerpt: `${DESCRIPTIONS['subject-forward-prefix']} (${subject.prefix}:)`,
      });
    }
    findings.push(...headerFindings(message.headers, patterns.forwardHeaders, 'forwarded'));
    for (const attachment of message.attachments.filter((a) => a.isMessage)) {
      findings.push({
        kind: 'forwarded',
        location: `attachment:${attachment.filename || 'message.eml'}`,
        evidence: 'attached-message',
        excerpt: `${DESCRIPTIONS['attached-message']} (${attachment.contentType})`,
      });
    }

    const quoted = findQuotedMail([message.text, message.htmlText], message.html, patterns);
    const markers = [...new Set([...quoted.forwardMarkers, ...quoted.quoteMarkers])];
    if (markers.length === 0) return findings;
    if (subject.intent === 'forward') {
      findings.push({ kind: 'forwarded', location: 'body', evidence: markers[0]!, excerpt: describe(markers) });
      return findings;
    }
    const displayNames = new Map([...message.to, ...message.cc, ...message.bcc].map((m) => [m.address, m.name]));
    const outsiders = recipients
      .filter((r) => r.class !== 'internal')
      .filter((r) => !tookPart(quoted.participants, r.address, displayNames.get(r.address) ?? ''))
      .map((r) => r.address);
    if (outsiders.length > 0) {
      findings.push({
        kind: 'forwarded',
        location: 'body',
        evidence: markers[0]!,
        excerpt: `${describe(markers)}, sent to ${outsiders.length === 1 ? 'a recipient' : 'recipients'} who took no part in it`,
        recipients: outsiders,
      });
    }
    return findings;
  }
}

function describe(markers: string[]): string {
  const words = markers.map((m) => DESCRIPTIONS[m] ?? `forwarded-mail marker "${m}"`);
  return words.join('; ');
}

export const createForwardedMessageDetector = (config: DlpConfig): Detector => new ForwardedMessageDetector(config);
