/** Reviewer password hashing: scrypt, stored as `scrypt$N$r$p$saltB64$hashB64`. */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export const MIN_PASSWORD_LENGTH = 12;

const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELIZATION = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

/** Throws unless the password is long enough to be worth hashing. */
export function checkPasswordStrength(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new Error(`a reviewer's password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, { N: COST, r: BLOCK_SIZE, p: PARALLELIZATION, maxmem: MAX_MEMORY });
  return ['scrypt', COST, BLOCK_SIZE, PARALLELIZATION, salt.toString('base64'), hash.toString('base64')].join('$');
}

/**
 * Whether `password` matches `stored`. A malformed or missing hash still costs one scrypt,
 * so that an unknown username takes as long to refuse as a wrong password.
 */
export async function passwordMatches(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parseHash(stored);
  const { salt, hash, options } = parsed ?? dummyHash();
  const candidate = await derive(password, salt, hash.length, options);
  return parsed !== undefined && timingSafeEqual(candidate, hash);
}

interface ParsedHash {
  salt: Buffer;
  hash: Buffer;
  options: ScryptOptions;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((value) => Number.isSafeInteger(value) && value > 0)) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const hash = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || hash.length === 0) return undefined;
  // Room for the stored cost (128·N·r bytes) however it was set when hashed.
  return { salt, hash, options: { N, r, p, maxmem: Math.max(MAX_MEMORY, 256 * N * r) } };
}

let dummy: ParsedHash | undefined;
function dummyHash(): ParsedHash {
  dummy ??= {
    salt: randomBytes(SALT_BYTES),
    hash: randomBytes(HASH_BYTES),
    options: { N: COST, r: BLOCK_SIZE, p: PARALLELIZATION, maxmem: MAX_MEMORY },
  };
  return dummy;
}

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
