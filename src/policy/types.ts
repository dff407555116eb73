import type { ResolvedRule } from '../config/load.js';
import type { ClassifiedRecipient, Finding, NormalisedMessage } from '../engine/types.js';

export interface RuleContext {
  rule: ResolvedRule;
  findings: readonly Finding[];
  /** Recipients outside the trust: only mail leaving the trust is judged. */
  recipients: readonly ClassifiedRecipient[];
  message: NormalisedMessage;
}

/** Decides whether a rule fires. Returns the recipients that make it fire; empty means it does not. */
export type RuleCondition = (context: RuleContext) => string[];
