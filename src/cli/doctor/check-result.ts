/**
 * What `dlp doctor` says about one thing it checked: OK, WARN (works, but should be put
 * right), FAIL (the relay will not start, or mail will not flow), or SKIP (could not be
 * checked, and why). WARN and FAIL always come with the fix.
 */
export type CheckStatus = 'OK' | 'WARN' | 'FAIL' | 'SKIP';

export interface CheckResult {
  /** A short, stable name for what was checked (`roster`, `source:m365`, `spf:example.org`). */
  check: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

export const ok = (check: string, message: string): CheckResult => ({ check, status: 'OK', message });
export const warn = (check: string, message: string, fix: string): CheckResult => ({ check, status: 'WARN', message, fix });
export const fail = (check: string, message: string, fix: string): CheckResult => ({ check, status: 'FAIL', message, fix });
/** `why` says what stopped the check (DNS did not answer, the file could not be read). */
export const skip = (check: string, why: string): CheckResult => ({ check, status: 'SKIP', message: why });

/** One line: status, check, finding and, for WARN and FAIL, the fix. */
export function humanLine(result: CheckResult): string {
  const fix = result.fix ? `${/[.!?]$/.test(result.message) ? '' : '.'} Fix: ${result.fix}` : '';
  return `${result.status.padEnd(4)}  ${result.check}: ${result.message}${fix}`;
}

export function jsonLine(result: CheckResult): string {
  return JSON.stringify({ check: result.check, status: result.status, message: result.message, ...(result.fix ? { fix: result.fix } : {}) });
}
