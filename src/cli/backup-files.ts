/**
 * Files into and out of a relay backup. A backup holds the quarantine key and the held mail
 * it opens, so everything written here is private to its owner whatever the umask: files
 * 0600, directories 0700. Each file's SHA-256 is taken as it is written, so that a restore
 * can refuse a damaged backup before it touches anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, createReadStream, createWriteStream, mkdirSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** A file copied: where it went (relative to the directory copied into), size, digest, and its mode where it came from. */
export interface CopiedFile {
  path: string;
  bytes: number;
  sha256: string;
  mode: number;
}

/** Makes `path` (and its parents) if missing, and makes it private either way. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(path, PRIVATE_DIR);
}

/**
 * Copies one file to `destination`, which must not exist yet, with `mode` (default 0600),
 * hashing what is written. Resolves with its size and SHA-256.
 */
export async function copyFileHashed(source: string, destination: string, mode = PRIVATE_FILE): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(source), tap, createWriteStream(destination, { flags: 'wx', mode }));
  chmodSync(destination, mode); // the umask may have taken bits away
  return { bytes, sha256: hash.digest('hex') };
}

/** The SHA-256 and size of a file as it is now. */
export async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Puts `source` at `destination` through a temporary file beside it and a rename, so that
 * whoever reads `destination` sees the old file or the whole new one, never half of it.
 */
export async function replaceFile(source: string, destination: string, mode: number): Promise<void> {
  mkdirSync(dirname(destination), { recursive: true, mode: PRIVATE_DIR });
  const temporary = join(dirname(destination), `.${basename(destination)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await copyFileHashed(source, temporary, mode);
    renameSync(temporary, destination);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // never made, or already renamed
    }
    throw error;
  }
}

/**
 * Copies the regular files under `sourceDir` into `destinationDir` (made private), following
 * links (a link's target is what the relay reads) but never into the same directory twice.
 * `skip` leaves out a path and everything under it (the data or backup directory inside the
 * configuration directory, say).
 */
export async function copyTree(sourceDir: string, destinationDir: string, skip: (path: string) => boolean = () => false): Promise<CopiedFile[]> {
  const copied: CopiedFile[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    makePrivateDir(join(destinationDir, relative(sourceDir, dir)));
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (skip(path)) continue;
      let stats;
      try {
        stats = statSync(path);
      } catch {
        continue; // a dangling link, or gone since the listing
      }
      if (stats.isDirectory()) {
        await walk(path);
      } else if (stats.isFile()) {
        const rel = relative(sourceDir, path);
        const { bytes, sha256 } = await copyFileHashed(path, join(destinationDir, rel));
        copied.push({ path: rel.split(sep).join('/'), bytes, sha256, mode: stats.mode & 0o777 });
      }
    }
  };
  await walk(sourceDir);
  return copied;
}

/** Haraka writes a queue file under this prefix and renames it when complete (outbound/qfile.js). */
const HARAKA_TEMPORARY_PREFIX = '__tmp__.';

/**
 * Haraka's queue file names are `arrival_nextAttempt_attempts_pid_uid_counter_host`, and a
 * retry renames the file with new attempt fields: arrival and uid name the message itself.
 */
export function queuedMessageIdentity(name: string): string {
  const parts = name.split('_');
  return parts.length >= 7 ? `${parts[0]}_${parts[4]}` : name;
}

/**
 * Copies the messages in Haraka's outbound queue while Haraka runs. A message delivered
 * meanwhile is simply gone; one renamed for its next attempt is looked for again under its
 * new name, and a message is never copied twice (it would be delivered twice after a restore).
 */
export async function copyHarakaQueue(queueDir: string, destinationDir: string): Promise<CopiedFile[]> {
  makePrivateDir(destinationDir);
  const copied: CopiedFile[] = [];
  const done = new Set<string>();
  for (let pass = 0; pass < 3; pass++) {
    let missed = false;
    for (const name of readdirSync(queueDir).sort()) {
      if (name.startsWith(HARAKA_TEMPORARY_PREFIX) || name.startsWith('.') || done.has(queuedMessageIdentity(name))) continue;
      const path = join(queueDir, name);
      try {
        if (!statSync(path).isFile()) continue;
        const { bytes, sha256 } = await copyFileHashed(path, join(destinationDir, name));
        copied.push({ path: name, bytes, sha256, mode: PRIVATE_FILE });
        done.add(queuedMessageIdentity(name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        try {
          unlinkSync(join(destinationDir, name));
        } catch {
          // nothing was written
        }
        missed = true; // delivered, or renamed for a retry: the next pass looks again
      }
    }
    if (!missed) break;
  }
  return copied;
}

/** True when `path` is `dir` or inside it. */
export function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** True when `dir` is missing or holds nothing. */
export function isEmptyOrMissing(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}
