/**
 * manifest.json: what a relay backup holds, where each part came from, and a SHA-256 for
 * every file, so that `dlp restore` can check the backup whole before it writes anything.
 */
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { hashFile, PRIVATE_FILE } from './backup-files.js';

export const BACKUP_FORMAT = 'dlp-relay-backup/1';
export const MANIFEST_NAME = 'manifest.json';

/** Where each part lives inside a backup directory. */
export const BACKUP_LAYOUT = {
  config: 'config',
  key: 'quarantine.key',
  sqlite: 'quarantine.sqlite',
  postgres: 'quarantine.pgdump',
  outbox: 'outbox',
  queue: 'haraka-queue',
} as const;

export const BACKUP_PARTS = ['configuration', 'key', 'database', 'outbox', 'queue'] as const;
export type BackupPart = (typeof BACKUP_PARTS)[number];

const savedFileSchema = z.object({
  part: z.enum(BACKUP_PARTS),
  /** Inside the backup, with `/` separators. */
  path: z.string().min(1),
  /** Where it was copied from. */
  from: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Its permission bits where it came from, in octal as chmod takes them (restored for configuration files). */
  mode: z.string().regex(/^0[0-7]{3}$/),
});

const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  relayVersion: z.string(),
  host: z.string(),
  source: z.object({ configDir: z.string(), dataDir: z.string() }),
  database: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('sqlite'), from: z.string() }),
    z.object({ kind: z.literal('postgres'), from: z.string(), schema: z.string().min(1) }),
    z.object({ kind: z.literal('none'), from: z.string() }),
  ]),
  /** The quarantine as the backup holds it. */
  quarantine: z.object({ held: z.number(), total: z.number(), reviewers: z.number() }).optional(),
  files: z.array(savedFileSchema),
  /** Files the relay uses that are not in the backup, and why. */
  notSaved: z.array(z.object({ path: z.string(), why: z.string() })),
});

export type SavedFile = z.infer<typeof savedFileSchema>;
export type BackupManifest = z.infer<typeof manifestSchema>;

/** Permission bits as the manifest writes them: `0640`. */
export function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

export function modeOf(text: string): number {
  return parseInt(text, 8);
}

export class DamagedBackupError extends Error {
  override readonly name = 'DamagedBackupError';
}

export function relayVersion(): string {
  const packageJson = resolve(dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

export function writeManifest(backupDir: string, manifest: BackupManifest): void {
  writeFileSync(join(backupDir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx', mode: PRIVATE_FILE });
}

/** Reads and checks the manifest; throws DamagedBackupError saying what is wrong. */
export function readManifest(backupDir: string): BackupManifest {
  const path = join(backupDir, MANIFEST_NAME);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DamagedBackupError(`${path} cannot be read (${(error as Error).message}): is ${backupDir} a backup made by dlp backup?`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DamagedBackupError(`${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new DamagedBackupError(`${path} is not a manifest this version reads (${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'})`);
  }
  for (const file of result.data.files) {
    if (file.path.split('/').includes('..') || file.path.startsWith('/')) throw new DamagedBackupError(`${path} names a file outside the backup: ${file.path}`);
  }
  return result.data;
}

/** Checks every file the manifest lists is in the backup, whole and unchanged. */
export async function verifyBackupFiles(backupDir: string, manifest: BackupManifest): Promise<void> {
  for (const file of manifest.files) {
    const path = join(backupDir, file.path);
    // A link in a backup could make a restore read (and a later backup copy) something else entirely.
    let linked: boolean;
    try {
      linked = lstatSync(path).isSymbolicLink();
    } catch {
      linked = false; // reported as unreadable below
    }
    if (linked) throw new DamagedBackupError(`the backup is damaged: ${path} is a symbolic link, and a backup holds only plain files`);
    let found: { bytes: number; sha256: string };
    try {
      found = await hashFile(path);
    } catch (error) {
      throw new DamagedBackupError(`the backup is incomplete: ${path} cannot be read (${(error as Error).message})`, { cause: error });
    }
    if (found.bytes !== file.bytes || found.sha256 !== file.sha256) {
      throw new DamagedBackupError(`the backup is damaged: ${path} is not the file that was saved (${found.bytes} bytes, ${file.bytes} expected; SHA-256 differs)`);
    }
  }
}
