import type { ResolvedRule } from '../config/load.js';
import type { ClassifiedRecipient, Finding, NormalisedMessage, RuleFired } from '../engine/types.js';
import { RULE_CONDITIONS } from './conditions/index.js';
import type { RuleCondition } from './types.js';

/** A rule definition in rules/ has no condition in code: a packaging error, caught at start-up. */
export class UnknownRuleError extends Error {
  override readonly name = 'UnknownRuleError';
}

/** The rules of a configuration, paired with their conditions. */
export class Policy {
  private readonly entries: Array<{ rule: ResolvedRule; condition: RuleCondition }>;

  constructor(rules: readonly ResolvedRule[], conditions: Readonly<Record<string, RuleCondition>> = RULE_CONDITIONS) {
    this.entries = rules.map((rule) => {
      const condition = conditions[rule.id];
      if (!condition) throw new UnknownRuleError(`rule ${rule.id} is defined in rules/ but has no condition in src/policy/conditions`);
      return { rule, condition };
    });
  }

  /** Every rule that fires for the message; rules whose action is `pass` are switched off. */
  evaluate(findings: readonly Finding[], recipients: readonly ClassifiedRecipient[], message: NormalisedMessage): RuleFired[] {
    const leaving = recipients.filter((r) => r.class !== 'internal');
    if (leaving.length === 0) return [];
    const fired: RuleFired[] = [];
    for (const { rule, condition } of this.entries) {
      if (rule.action === 'pass') continue;
      const firing = condition({ rule, findings, recipients: leaving, message });
      if (firing.length === 0) continue;
      fired.push({
        id: rule.id,
        action: rule.action,
        reason: rule.reason,
        clause: rule.clause,
        guidance: rule.guidance,
        recipients: firing,
      });
    }
    return fired;
  }
}
