import type { RuleCondition } from '../types.js';
import { distinctPeople, IDENTIFIER_KINDS, personalDataFindings } from './personal-data.js';

/** An encrypted attachment and the password for it in the same message: to anyone outside the trust. */
export const passwordWithAttachment: RuleCondition = ({ findings, recipients }) => {
  const encrypted = findings.some((f) => f.kind === 'encrypted-attachment');
  const password = findings.some((f) => f.kind === 'password-in-message');
  return encrypted && password ? recipients.map((r) => r.address) : [];
};

/**
 * An attachment, opened and read, that carries an identifier, special-category data or
 * personal data about `pupils` (3) or more people, to anyone outside the trust (a child's
 * own parent included: a SEN report must still be encrypted). An encrypted attachment is
 * not read, so only its name can have findings, and a name alone does not count.
 */
export const unencryptedSensitiveAttachment: RuleCondition = ({ rule, findings, recipients, message }) => {
  const threshold = rule.thresholds['pupils'] ?? 3;
  const encrypted = new Set(message.parts.filter((p) => p.encrypted).map((p) => `attachment:${p.path}`));
  const data = personalDataFindings(findings).filter((f) => f.location.startsWith('attachment:') && !encrypted.has(f.location));
  for (const attachment of message.parts.filter((p) => p.depth === 0).map((p) => `attachment:${p.path}`)) {
    const inside = data.filter((f) => f.location === attachment || f.location.startsWith(`${attachment}/`));
    const sensitive = inside.some((f) => f.kind === 'special-category' || IDENTIFIER_KINDS.has(f.kind)) || distinctPeople(inside) >= threshold;
    if (sensitive) return recipients.map((r) => r.address);
  }
  return [];
};

