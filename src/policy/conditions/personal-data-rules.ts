import type { RuleCondition } from '../types.js';
import { distinctPeople, IDENTIFIER_KINDS, isOwnChildrensContact, personalDataFindings } from './personal-data.js';

/** Personal data to a personal mailbox, unless the recipient is a parent/carer and it is all about their own children. */
export const personalDataToPersonalAddress: RuleCondition = ({ findings, recipients }) => {
  const data = personalDataFindings(findings);
  if (data.length === 0) return [];
  return recipients.filter((r) => r.class === 'personal' && !isOwnChildrensContact(r, data)).map((r) => r.address);
};

/** A pupil's full name in the subject, to anyone leaving the trust except that pupil's own contacts. */
export const pupilNameInSubject: RuleCondition = ({ findings, recipients }) => {
  const names = findings.filter((f) => f.kind === 'pupil-name' && f.location === 'subject');
  if (names.length === 0) return [];
  return recipients.filter((r) => !isOwnChildrensContact(r, names)).map((r) => r.address);
};

/** The subject names a pupil and carries special-category data or an identifier: to anyone, contacts included. */
export const sensitiveSubject: RuleCondition = ({ findings, recipients }) => {
  const inSubject = findings.filter((f) => f.location === 'subject');
  const named = inSubject.some((f) => f.kind === 'pupil-name');
  const sensitive = inSubject.some((f) => f.kind === 'special-category' || IDENTIFIER_KINDS.has(f.kind));
  return named && sensitive ? recipients.map((r) => r.address) : [];
};

/** Personal data about many people in one message (threshold `pupils`). */
export const bulkPersonalData: RuleCondition = ({ rule, findings, recipients }) => {
  const threshold = rule.thresholds['pupils'] ?? 10;
  return distinctPeople(personalDataFindings(findings)) >= threshold ? recipients.map((r) => r.address) : [];
};

/** Special-category data about a roster pupil written in the body, where an encrypted attachment belongs. */
export const specialCategoryInBody: RuleCondition = ({ findings, recipients }) => {
  const inBody = findings.some((f) => f.kind === 'special-category' && f.location === 'body' && (f.pupils?.length ?? 0) > 0);
  return inBody ? recipients.map((r) => r.address) : [];
};
