import { PGP_MESSAGE } from '../attachments/containers.js';
import type { Finding } from '../engine/types.js';
import type { Detector } from './types.js';

/**
 * What opening the attachments found (src/attachments): encrypted ones (not a problem by
 * itself), ones that could not be inspected, and ones whose name or declared type hides
 * what they really are.
 */
export function createAttachmentDetector(): Detector {
  return {
    name: 'attachments',
    detect({ message }): Finding[] {
      const findings: Finding[] = [];
      if (PGP_MESSAGE.test(message.text)) {
        findings.push({ kind: 'encrypted-attachment', location: 'body', excerpt: 'PGP encrypted message in the body', evidence: 'pgp-inline' });
      }
      if (message.ambiguousStructure) {
        // What the relay read may not be what the reader's client shows: checked as far as it goes, and not trusted.
        findings.push({ kind: 'unscannable-attachment', location: 'body', excerpt: `the message's structure can be read more than one way: ${message.ambiguousStructure}`, evidence: 'damaged' });
      }
      for (const part of message.parts) {
        const location = `attachment:${part.path}` as const;
        if (part.encrypted) findings.push({ kind: 'encrypted-attachment', location, excerpt: part.encrypted.description, evidence: part.encrypted.evidence });
        if (part.unscannable) {
          findings.push({ kind: 'unscannable-attachment', location, excerpt: part.unscannable.description, evidence: part.unscannable.evidence });
        }
        if (part.typeMismatch) findings.push({ kind: 'attachment-type-mismatch', location, excerpt: part.typeMismatch, evidence: 'true-type' });
      }
      return findings;
    },
  };
}
