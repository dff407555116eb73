import { describe, expect, it } from 'vitest';
import { InspectionEngine } from '../../src/engine/inspect.js';
import { stripTags } from '../../src/engine/normalise.js';
import { BASE_DLP_YAML, configFrom } from '../support/config.js';

// Inputs shaped to make backtracking regular expressions take hours. Each must simply
// finish: a regression here shows up as a test that never completes (vitest's timeout).
const STAFF = 's.jones@example-trust.org.uk';
const engine = new InspectionEngine(configFrom(`${BASE_DLP_YAML}inspection:\n  max_html_chars: 1000\n`));
const message = (body: string, contentType = 'text/plain') =>
  Buffer.from(`From: ${STAFF}\r\nTo: a@gmail.com\r\nSubject: hello\r\nContent-Type: ${contentType}; charset=utf-8\r\n\r\n${body}\r\n`);

describe('hostile message content', () => {
  it('a quoted header block whose recipient list is 100,000 "@" characters', async () => {
    const body = `From: x\r\nSent: Monday\r\nTo: ${'@'.repeat(100_000)}\r\nSubject: y\r\n`;
    const verdict = await engine.inspect(message(body), { mailFrom: STAFF, rcptTo: ['a@gmail.com'] });
    expect(verdict.findings.map((f) => f.evidence)).toContain('quoted-header-block');
  });

  it('wrapped recipient lines of address-like junk', async () => {
    const line = `${'a'.repeat(64)}@${'b.'.repeat(2000)};`;
    const body = `From: x\r\nSent: Monday\r\nTo: y;\r\n${Array.from({ length: 10 }, () => line).join('\r\n')}\r\nSubject: z\r\n`;
    const verdict = await engine.inspect(message(body), { mailFrom: STAFF, rcptTo: ['a@gmail.com'] });
    expect(verdict.action).toBe('reject');
  });

  it('HTML of 300,000 unclosed "<" through the tag-stripping fallback', async () => {
    const verdict = await engine.inspect(message(`<p>${'<'.repeat(300_000)}</p>`, 'text/html'), { mailFrom: STAFF, rcptTo: ['a@gmail.com'] });
    expect(verdict.action).toBe('pass');
    expect(stripTags(`${'<br'.repeat(100_000)}x`)).toContain('x');
  });

  it('a 200,000-character subject of prefixes', async () => {
    const raw = Buffer.from(`From: ${STAFF}\r\nTo: a@gmail.com\r\nSubject: ${'[x] '.repeat(50_000)}FW: y\r\n\r\nbody\r\n`);
    const verdict = await engine.inspect(raw, { mailFrom: STAFF, rcptTo: ['a@gmail.com'] });
    expect(verdict.action).toBe('pass');
  });
});
