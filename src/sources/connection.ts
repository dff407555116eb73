/**
 * Which configured sources a connection may be, from what SMTP knows before the message: the
 * client's address, whether it is using TLS, and its client certificate. A connection that
 * is none of them is refused at RCPT TO; one that needs TLS is told to start it.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { SOURCE_KIND_LABELS, type SourceRule } from '../config/sources.js';

export interface ConnectionFacts {
  ip: string;
  tls: {
    enabled: boolean;
    /** The client's certificate verified against the trusted CAs. */
    verified: boolean;
    certificate?: Pick<PeerCertificate, 'subject' | 'subjectaltname'> | undefined;
  };
}

export type Admission =
  | { admitted: SourceRule[] }
  | { refused: { code: 530 | 550; enhanced: [number, number, number]; text: string; reason: 'not-a-source' | 'tls-required' | 'certificate' } };

export function admitConnection(sources: readonly SourceRule[], facts: ConnectionFacts): Admission {
  const candidates = sources.filter((s) => s.networks.includes(facts.ip));
  if (candidates.length === 0) {
    return {
      refused: {
        code: 550,
        enhanced: [5, 7, 1],
        text: `Relaying denied: ${facts.ip} is not a sender this relay accepts mail from. Its sources are: ${describeSources(sources)}.`,
        reason: 'not-a-source',
      },
    };
  }
  const admitted = candidates.filter((s) => (!s.tlsRequired || facts.tls.enabled) && certificateAccepted(s, facts));
  if (admitted.length > 0) return { admitted };
  if (!facts.tls.enabled) {
    return {
      refused: {
        code: 530,
        enhanced: [5, 7, 0],
        text: `Must issue a STARTTLS command first: mail from ${candidates.map(describeSource).join(' or ')} must be sent over TLS.`,
        reason: 'tls-required',
      },
    };
  }
  return {
    refused: {
      code: 550,
      enhanced: [5, 7, 1],
      text: `Relaying denied: the TLS client certificate of ${facts.ip} is not one that ${candidates.map(describeSource).join(' or ')} is configured to present.`,
      reason: 'certificate',
    },
  };
}

function certificateAccepted(source: SourceRule, facts: ConnectionFacts): boolean {
  if (source.certificateNames.length === 0) return true;
  const certificate = facts.tls.certificate;
  if (!facts.tls.enabled || !facts.tls.verified || !certificate?.subject) return false;
  // Node's own host-name check: subjectAltName DNS names (wildcards as RFC 6125 allows), else the CN.
  return source.certificateNames.some((name) => checkServerIdentity(name, certificate as PeerCertificate) === undefined);
}

export function describeSource(source: SourceRule): string {
  return `${SOURCE_KIND_LABELS[source.kind]} "${source.name}"`;
}

/** One line for a refusal: the names and kinds of the sources, never their addresses or tenant ids. */
export function describeSources(sources: readonly SourceRule[]): string {
  return sources.map(describeSource).join(', ');
}
