import { describe, expect, it } from 'vitest';
import type { RuleFired, Verdict } from '../../src/engine/types.js';
import { decide, holdFailed, inspectionFailed, smtpSafe, verdictHeader } from '../../src/relay/smtp-reply.js';

const rule = (id: string, action: RuleFired['action']): RuleFired => ({
  id,
  action,
  reason: `Reason for ${id}.`,
  clause: `Policy ${id} §1.2 “quoted”`,
  guidance: 'Guidance.',
  recipients: ['a@gmail.com'],
});

const verdict = (action: Verdict['action'], rules: RuleFired[], mode: Verdict['mode'] = 'enforce'): Verdict => ({
  reference: 'DLP-AAAAA-BBBBB',
  action,
  mode,
  rules,
  findings: [],
  recipients: [],
  timings: { parseMs: 0, detectMs: 0, totalMs: 0 },
});

describe('decide: verdict to SMTP outcome', () => {
  it('delivers a pass with a header carrying the reference', () => {
    expect(decide(verdict('pass', []))).toEqual({ kind: 'deliver', header: 'pass; ref=DLP-AAAAA-BBBBB' });
  });
  it('delivers a warn with a header naming the rules', () => {
    expect(decide(verdict('warn', [rule('pupil-name-in-subject', 'warn')]))).toEqual({
      kind: 'deliver',
      header: 'warn; rules=pupil-name-in-subject; ref=DLP-AAAAA-BBBBB',
    });
  });
  it('refuses a reject with 550 5.7.1: rule id, reason and reference on the first line, the clause after', () => {
    const decision = decide(verdict('reject', [rule('forward-to-personal-address', 'reject'), rule('pupil-name-in-subject', 'warn')]));
    expect(decision).toEqual({
      kind: 'refuse',
      code: 550,
      enhanced: [5, 7, 1],
      lines: [
        'Not sent: [forward-to-personal-address] Reason for forward-to-personal-address. Ref DLP-AAAAA-BBBBB',
        'Policy: Policy forward-to-personal-address s.1.2 "quoted"',
      ],
    });
  });
  it('answers hold with one line naming the holding rules and the reference (the relay replies 250 once it is stored)', () => {
    const decision = decide(verdict('hold', [rule('bulk-personal-data', 'hold'), rule('pupil-name-in-subject', 'warn')]));
    expect(decision).toEqual({ kind: 'hold', line: 'Held for review by the Data Protection Officer [bulk-personal-data] Ref DLP-AAAAA-BBBBB' });
  });
  it('answers 451 4.3.0 when the quarantine cannot store a held message, so the sender retries', () => {
    expect(holdFailed('DLP-X')).toMatchObject({ kind: 'refuse', code: 451, enhanced: [4, 3, 0], lines: [expect.stringMatching(/cannot take it now.*Ref DLP-X$/)] });
  });
  it('delivers everything in monitor mode, without naming rules to the recipient', () => {
    expect(decide(verdict('reject', [rule('forward-to-personal-address', 'reject')], 'monitor'))).toEqual({
      kind: 'deliver',
      header: 'monitor; ref=DLP-AAAAA-BBBBB',
    });
    expect(verdictHeader(verdict('reject', [], 'monitor'))).not.toMatch(/reject/);
  });
  it('answers 451 4.3.0 when inspection fails or times out', () => {
    expect(inspectionFailed('DLP-X', 'error')).toMatchObject({ code: 451, enhanced: [4, 3, 0], lines: [expect.stringMatching(/could not be checked.*Ref DLP-X$/)] });
    expect(inspectionFailed('DLP-X', 'timeout').lines[0]).toMatch(/took too long/);
  });
});

describe('smtpSafe', () => {
  it('keeps replies 7-bit, single-line and within the SMTP line limit', () => {
    expect(smtpSafe('Zoë’s “form” – see §4\r\ninjected: 250 OK')).toBe('Zoe\'s "form" - see s.4 injected: 250 OK');
    const long = smtpSafe('x'.repeat(1000));
    expect(long.length).toBeLessThanOrEqual(480);
    expect(long.endsWith('...')).toBe(true);
  });
});
