import type { RuleCondition } from '../types.js';

/**
 * A forwarded or auto-forwarded message to a personal mailbox whose owner is not a known
 * contact. A finding scoped to some recipients (quoted mail they took no part in) counts
 * only for them.
 */
export const forwardToPersonalAddress: RuleCondition = ({ findings, recipients }) => {
  const forwards = findings.filter((f) => f.kind === 'forwarded' || f.kind === 'auto-forwarded');
  if (forwards.length === 0) return [];
  return recipients
    .filter((r) => r.class === 'personal' && !r.knownContact)
    .filter((r) => forwards.some((f) => !f.recipients || f.recipients.includes(r.address)))
    .map((r) => r.address);
};
