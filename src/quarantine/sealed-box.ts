/**
 * Encryption at rest for quarantined content: AES-256-GCM with a key kept in a file beside
 * the relay, so a copied database file (or a PostgreSQL backup) does not give away the mail.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
export const KEY_BYTES = 32;

/**
 * Seals and opens blobs with one key. Every blob is bound to a context (`DLP-…/raw`) given
 * as additional authenticated data, so a blob copied to another row or field will not open.
 * Sealed format: version byte, 12-byte IV, 16-byte GCM tag, ciphertext.
 */
export class SealedBox {
  /** Names the key without revealing it: stored with each row, so a mismatch can be reported. */
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a quarantine key must be ${KEY_BYTES} bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update('dlp-quarantine-key-id').update(key).digest('hex').slice(0, 16);
  }

  seal(plain: Buffer, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Throws if the blob was altered, sealed with another key, or sealed for another context. */
  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION) {
      throw new Error(`cannot open sealed data for ${context}: not in a format this version knows`);
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch (error) {
      throw new Error(`cannot open sealed data for ${context}: wrong key, or the data was altered`, { cause: error });
    }
  }
}

/**
 * Reads the quarantine key (32 bytes, base64, optional trailing newline) from `path`. When the
 * file is missing and `create` is set, writes a fresh key readable by its owner only; two
 * processes starting at once end up with the same key. Throws naming the path if the file is
 * missing (and not to be created) or does not hold a key.
 */
export function loadOrCreateKey(path: string, options: { create: boolean }): { key: Buffer; created: boolean } {
  const existing = readKeyFile(path);
  if (existing) return { key: existing, created: false };
  if (!options.create) throw new Error(`quarantine key file ${path} does not exist`);

  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  // Written in full under a private name, then linked into place: link() fails if the file
  // appeared meanwhile, so a racing process never reads a half-written key or overwrites one.
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = readKeyFile(path);
    if (!theirs) throw error;
    return { key: theirs, created: false };
  } finally {
    unlinkSync(temporary);
  }
  return { key, created: true };
}

function readKeyFile(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read quarantine key file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const encoded = text.replace(/\r?\n$/, '');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(encoded)) {
    throw new Error(
      `quarantine key file ${path} does not hold a key: expected ${KEY_BYTES} bytes as base64 (44 characters), found ${encoded.length} characters`,
    );
  }
  return Buffer.from(encoded, 'base64');
}
