import { randomBytes } from 'node:crypto';

// Crockford's base32: no I, L, O or U, so a reference reads unambiguously over the phone.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A reference a member of staff can quote to the DPO: `DLP-7KQ2M-9XD4T` (50 random bits). */
export function newReference(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(7);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let chars = '';
  for (let i = 0; i < 10; i++) {
    chars += ALPHABET[Number(bits & 31n)];
    bits >>= 5n;
  }
  return `DLP-${chars.slice(0, 5)}-${chars.slice(5)}`;
}
