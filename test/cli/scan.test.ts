import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';
import { FIXTURES, REPO_ROOT } from '../support/paths.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';

const run = promisify(execFile);

/** Runs the real `dlp` command and returns its exit status and output. */
async function dlp(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'bin/dlp.js'), ...args], { cwd: REPO_ROOT });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const fwd = (name: string) => join(FIXTURES, 'forwarding', name);
const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('dlp scan --json', () => {
  it('lists personal-data findings with their kinds, locations and redacted excerpts, using the roster', async () => {
    const dir = configDirWith(`${BASE_DLP_YAML}roster:\n  file: roster.csv\n`);
    copyFileSync(RIVERSIDE_ROSTER, join(dir, 'roster.csv'));
    const eml = join(dir, 'message.eml');
    writeFileSync(
      eml,
      'From: t@example-trust.org.uk\r\nTo: helper@gmail.com\r\nSubject: Jane Smith\r\n\r\n' +
        'Jane Smith, UPN H801200001001, DOB 04/02/2015, has asthma. NI AB123456C\r\n',
    );
    const { status, stdout } = await dlp('scan', '--json', '--config', dir, eml);
    expect(status).toBe(0);
    const [result] = lines(stdout);
    expect(result).toMatchObject({
      verdict: 'hold',
      rules: [
        expect.objectContaining({ id: 'personal-data-to-personal-address' }),
        expect.objectContaining({ id: 'pupil-name-in-subject' }),
        expect.objectContaining({ id: 'special-category-in-body' }),
      ],
      findings: [
        { kind: 'pupil-name', location: 'subject', excerpt: 'J*** S****' },
        { kind: 'pupil-name', location: 'body', excerpt: 'J*** S****' },
        { kind: 'upn', location: 'body', excerpt: 'UPN H80…' },
        { kind: 'ni-number', location: 'body', excerpt: 'NI no. AB1…' },
        { kind: 'date-of-birth', location: 'body', excerpt: 'date of birth 0*/0*/2***' },
        { kind: 'special-category', location: 'body', excerpt: 'health: asthma' },
      ],
    });
    expect(stdout).not.toMatch(/Jane|H801200001001|AB123456C|04\/02\/2015/);
  });

  it('reports bad roster rows on stderr and still scans', async () => {
    const dir = configDirWith(`${BASE_DLP_YAML}roster:\n  file: roster.csv\n`);
    writeFileSync(join(dir, 'roster.csv'), 'Forename,Surname\nJane,Smith\nNoSurname,\n');
    const { status, stdout, stderr } = await dlp('scan', '--json', '--config', dir, fwd('plain-new-message.eml'));
    expect(status).toBe(0);
    expect(stderr).toMatch(/dlp scan: roster: roster\.csv line 3: no surname; row skipped/);
    expect(lines(stdout)).toHaveLength(1);
  });

  it('stops with status 2 when the roster cannot be used', async () => {
    const dir = configDirWith(`${BASE_DLP_YAML}roster:\n  file: missing.csv\n`);
    const { status, stderr } = await dlp('scan', '--json', '--config', dir, fwd('plain-new-message.eml'));
    expect(status).toBe(2);
    expect(stderr).toMatch(/missing\.csv: no such file/);
  });

  it('prints one JSON object per file with verdict, rules and findings; exit 0', async () => {
    const { status, stdout } = await dlp('scan', '--json', fwd('gmail-forward.eml'), fwd('plain-new-message.eml'));
    expect(status).toBe(0);
    const [forward, plain] = lines(stdout);
    expect(forward).toEqual({
      file: fwd('gmail-forward.eml'),
      verdict: 'reject',
      mode: 'enforce',
      reference: expect.stringMatching(/^DLP-/),
      rules: [
        {
          id: 'forward-to-personal-address',
          action: 'reject',
          reason: 'School email must not be forwarded to a personal email account.',
          clause: expect.stringContaining('school email be forwarded to personal accounts'),
        },
      ],
      findings: expect.arrayContaining([{ kind: 'forwarded', location: 'subject', excerpt: expect.stringContaining('Fwd:') }]),
      recipients: [{ address: 'sarah.jones1984@gmail.com', class: 'personal' }],
    });
    expect(plain).toMatchObject({ verdict: 'pass', rules: [], findings: [] });
  });

  it('takes the envelope from --mail-from and --rcpt instead of the headers', async () => {
    const { stdout } = await dlp('scan', '--json', '--rcpt', 'head@example-trust.org.uk', '--rcpt', 'x@nhs.net', fwd('gmail-forward.eml'));
    expect(lines(stdout)[0]).toMatchObject({
      verdict: 'pass',
      recipients: [
        { address: 'head@example-trust.org.uk', class: 'internal' },
        { address: 'x@nhs.net', class: 'trusted' },
      ],
    });
    // plain-new-message.eml has no forwarding evidence at all: only the envelope sender can make it a forward.
    const withHeaderSender = await dlp('scan', '--json', '--rcpt', 'a@gmail.com', fwd('plain-new-message.eml'));
    expect(lines(withHeaderSender.stdout)[0]).toMatchObject({ verdict: 'pass' });
    const rewritten = await dlp('scan', '--json', '--mail-from', 'SRS0=ab=CD=example.org=x@example-trust.org.uk', '--rcpt', 'a@gmail.com', fwd('plain-new-message.eml'));
    expect(lines(rewritten.stdout)[0]).toMatchObject({ verdict: 'reject', findings: [{ kind: 'auto-forwarded', location: 'envelope' }] });
  });

  it('reports corrupt and unreadable files in their own line with "error", inspects the rest, and exits 1', async () => {
    const files = [join(FIXTURES, 'corrupt/gzipped-by-mistake.eml'), fwd('gmail-forward.eml'), join(FIXTURES, 'corrupt/empty.eml'), '/no/such/file.eml'];
    const { status, stdout } = await dlp('scan', '--json', ...files);
    expect(status).toBe(1);
    expect(lines(stdout)).toEqual([
      { file: files[0], error: 'not an email message: it has no header lines' },
      expect.objectContaining({ file: files[1], verdict: 'reject' }),
      { file: files[2], error: 'not an email message: it has no header lines' },
      { file: files[3], error: 'cannot read the file (ENOENT)' },
    ]);
  });

  it('uses the configuration given with --config, like the relay', async () => {
    const dir = configDirWith(`${BASE_DLP_YAML}rules:\n  forward-to-personal-address: { action: warn }\n`);
    const { stdout } = await dlp('scan', '--json', '--config', dir, fwd('gmail-forward.eml'));
    expect(lines(stdout)[0]).toMatchObject({ verdict: 'warn', rules: [{ action: 'warn' }] });
  });
});

describe('dlp scan errors and human output', () => {
  it('exits 2 with the file, line and key for a bad configuration', async () => {
    const dir = configDirWith(BASE_DLP_YAML.replace('enforce', 'enforced'));
    const { status, stderr, stdout } = await dlp('scan', '--config', dir, fwd('gmail-forward.eml'));
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/dlp\.yaml:1: mode: Invalid option/);
  });

  it.each([
    [['scan'], /no message files given/],
    [['scan', '--bogus', 'x.eml'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /no command given/],
  ])('exits 2 with usage for %j', async (args, message) => {
    const { status, stderr } = await dlp(...args);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage:/);
  });

  it('prints a readable report without --json', async () => {
    const { status, stdout } = await dlp('scan', fwd('gmail-forward.eml'));
    expect(status).toBe(0);
    expect(stdout).toContain('gmail-forward.eml: REJECT');
    expect(stdout).toContain('sarah.jones1984@gmail.com  personal: gmail.com is a personal mailbox provider');
    expect(stdout).toContain('Rule forward-to-personal-address -> reject');
    expect(stdout).toContain('School email must not be forwarded to a personal email account.');
    expect(stdout).toContain("Policy: The trust's data protection policy: under no circumstance should school email be forwarded to personal accounts");
  });
});
