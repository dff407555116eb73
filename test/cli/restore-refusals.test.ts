/**
 * What dlp restore refuses before writing anything: a backup whose dlp.yaml would have it
 * write outside the configuration and data directories, and a backup holding a link.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BASE_DLP_YAML } from '../support/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function dlp(...args: string[]): Promise<{ status: number; out: string }> {
  let out = '';
  const status = await main(args, { out: (t) => void (out += t), err: (t) => void (out += t) });
  return { status, out };
}

/** A real backup of a relay's configuration and key (no quarantine yet), made by dlp backup. */
async function backup(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'dlp-restore-refusals-'));
  dirs.push(work);
  mkdirSync(join(work, 'etc'));
  mkdirSync(join(work, 'data'), { mode: 0o700 });
  writeFileSync(join(work, 'etc', 'dlp.yaml'), BASE_DLP_YAML);
  writeFileSync(join(work, 'data', 'quarantine.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const made = await dlp('backup', join(work, 'backup'), '--config', join(work, 'etc'), '--data', join(work, 'data'));
  expect(made.status, made.out).toBe(0);
  return work;
}

/** Changes a file of the backup and its line in the manifest, as someone with the backup's account could. */
function tamper(backupDir: string, path: string, content: string): void {
  writeFileSync(join(backupDir, path), content);
  const manifestPath = join(backupDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Array<{ path: string; bytes: number; sha256: string }> };
  const entry = manifest.files.find((f) => f.path === path)!;
  entry.bytes = Buffer.byteLength(content);
  entry.sha256 = createHash('sha256').update(content).digest('hex');
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

describe('dlp restore refuses', () => {
  it("to write where the backup's dlp.yaml points outside the configuration and data directories, unless told to", async () => {
    const work = await backup();
    const elsewhere = join(work, 'cron.d');
    tamper(join(work, 'backup'), 'config/dlp.yaml', `${BASE_DLP_YAML}notifications:\n  from: dlp@example-trust.org.uk\n  outbox: ${elsewhere}\nquarantine:\n  key_file: ${join(work, 'stolen.key')}\n`);
    const refused = await dlp('restore', join(work, 'backup'), '--config', join(work, 'etc2'), '--data', join(work, 'data2'));
    expect(refused.status).toBe(2);
    expect(refused.out).toMatch(/the backup's dlp\.yaml puts quarantine\.key_file at .*stolen\.key, notifications\.outbox at .*cron\.d, outside .*etc2 and .*data2: .*add --allow-outside[^]*Nothing was restored/);
    expect(existsSync(join(work, 'etc2'))).toBe(false);
    expect(existsSync(join(work, 'stolen.key'))).toBe(false);

    const allowed = await dlp('restore', join(work, 'backup'), '--config', join(work, 'etc2'), '--data', join(work, 'data2'), '--allow-outside');
    expect(allowed.status, allowed.out).toBe(0);
    expect(existsSync(join(work, 'stolen.key'))).toBe(true);
  });

  it('a backup that holds a symbolic link', async () => {
    const work = await backup();
    const key = join(work, 'backup', 'quarantine.key');
    const content = readFileSync(key);
    rmSync(key);
    writeFileSync(join(work, 'elsewhere.key'), content);
    symlinkSync(join(work, 'elsewhere.key'), key);
    const refused = await dlp('restore', join(work, 'backup'), '--config', join(work, 'etc2'), '--data', join(work, 'data2'));
    expect(refused.status).toBe(2);
    expect(refused.out).toMatch(/quarantine\.key is a symbolic link, and a backup holds only plain files/);
    expect(existsSync(join(work, 'etc2'))).toBe(false);
  });
});
