import type { RuleCondition } from '../types.js';
import { forwardToPersonalAddress } from './forward-to-personal-address.js';

/** The code behind each rule id in rules/rules.yaml. */
export const RULE_CONDITIONS: Readonly<Record<string, RuleCondition>> = {
  'forward-to-personal-address': forwardToPersonalAddress,
};
