import type { RuleCondition } from '../types.js';

/** An attachment that could not be inspected, to a personal mailbox (parents included: it may hold anyone's data). */
export const unscannableAttachment: RuleCondition = ({ findings, recipients }) =>
  findings.some((f) => f.kind === 'unscannable-attachment') ? recipients.filter((r) => r.class === 'personal').map((r) => r.address) : [];
