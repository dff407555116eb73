import { describe, expect, it } from 'vitest';
import { Policy, UnknownRuleError } from '../../src/policy/evaluate.js';
import { configFrom } from '../support/config.js';

describe('Policy', () => {
  it('pairs every shipped rule with its condition', () => {
    expect(() => new Policy(configFrom().rules)).not.toThrow();
  });

  it('refuses a rule defined in rules/ that has no condition in code', () => {
    const [rule] = configFrom().rules;
    expect(() => new Policy([{ ...rule!, id: 'made-up-rule' }])).toThrow(UnknownRuleError);
  });
});
