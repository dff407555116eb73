/** DKIM signatures made at test time with mailauth, as a sending mail system makes them. */
import type { KeyObject } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';

export interface SigningKey {
  domain: string;
  selector: string;
  privateKey: KeyObject;
}

/**
 * The message with a DKIM-Signature header on top. mailauth's type declarations put the key
 * at the top level of the options, but it reads `signatureData` (and fails silently without
 * it); `signTime` is given because without it mailauth computes t= twice and now and then
 * makes a signature that does not verify.
 */
export async function dkimSigned(
  message: Buffer,
  key: SigningKey,
  options: { canonicalization?: 'relaxed/relaxed' | 'simple/simple'; signTime?: Date; /** l=: sign only this many bytes of the body. */ bodyLength?: number } = {},
): Promise<Buffer> {
  const signing = {
    canonicalization: options.canonicalization ?? 'relaxed/relaxed',
    signTime: options.signTime ?? new Date(),
    signatureData: [
      {
        signingDomain: key.domain,
        selector: key.selector,
        privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        ...(options.bodyLength !== undefined ? { maxBodyLength: options.bodyLength } : {}),
      },
    ],
  };
  const result = await dkimSign(message, signing as unknown as Parameters<typeof dkimSign>[1]);
  if (result.errors.length > 0 || !result.signatures) throw new Error(`DKIM signing failed: ${result.errors.map(String).join('; ') || 'no signature'}`);
  return Buffer.concat([Buffer.from(result.signatures), message]);
}
