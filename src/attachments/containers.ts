/**
 * Encryption in containers that are not zip: OLE compound files (password-protected
 * Office documents of every era, read with the `cfb` package), 7z archives, S/MIME and PGP.
 * "Encrypted" means a password (or key) is needed to open it.
 */
import CFB from 'cfb';
import { decodeTextBytes } from '../text/decode-bytes.js';

export type OfficeCompound =
  | { kind: 'encrypted'; description: string; evidence: string }
  | { kind: 'legacy-office'; format: 'doc' | 'xls' | 'ppt' }
  | { kind: 'other' };

/** What an OLE compound file is: an encrypted Office document, a legacy one, or something else (an Outlook .msg...). */
export function inspectCompoundFile(bytes: Buffer): OfficeCompound {
  const container = CFB.read(bytes, { type: 'buffer' });
  const stream = (name: string): Buffer | undefined => {
    const entry = CFB.find(container, name);
    return entry?.content ? Buffer.from(entry.content as Uint8Array) : undefined;
  };
  // Office 2007+ with a password: the whole OOXML package is encrypted inside a compound file.
  if (stream('EncryptionInfo') && stream('EncryptedPackage')) {
    return { kind: 'encrypted', description: 'Office document encrypted with a password', evidence: 'office-encrypted-package' };
  }
  const word = stream('WordDocument');
  if (word) {
    // [MS-DOC] FIB: fEncrypted is bit 8 of the flags word at offset 0x0A.
    if (word.length > 0x0c && (word.readUInt16LE(0x0a) & 0x0100) !== 0) {
      return { kind: 'encrypted', description: 'Word 97-2003 document encrypted with a password', evidence: 'doc-fib-encrypted' };
    }
    return { kind: 'legacy-office', format: 'doc' };
  }
  const workbook = stream('Workbook') ?? stream('Book');
  if (workbook) {
    if (hasBiffFilePass(workbook)) {
      return { kind: 'encrypted', description: 'Excel 97-2003 workbook encrypted with a password', evidence: 'xls-filepass' };
    }
    return { kind: 'legacy-office', format: 'xls' };
  }
  if (stream('PowerPoint Document')) return { kind: 'legacy-office', format: 'ppt' };
  return { kind: 'other' };
}

/** [MS-XLS]: a FILEPASS record (0x002F) in the workbook globals, before their EOF (0x000A), means encrypted. */
function hasBiffFilePass(workbook: Buffer): boolean {
  for (let offset = 0; offset + 4 <= workbook.length; ) {
    const type = workbook.readUInt16LE(offset);
    const length = workbook.readUInt16LE(offset + 2);
    if (type === 0x002f) return true;
    if (type === 0x000a) return false;
    offset += 4 + length;
  }
  return false;
}

const SEVEN_ZIP_SIGNATURE = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);
const AES_CODER = Buffer.from([0x06, 0xf1, 0x07, 0x01]);

/**
 * A 7z archive's encryption, from its headers ([7zFormat.txt]): encoded (compressed or
 * encrypted) headers whose coder is 7zAES hide even the file names; otherwise the AES
 * coder in a folder's coder list encrypts the content.
 */
export function sevenZipEncryption(bytes: Buffer): { encrypted: false } | { encrypted: true; namesHidden: boolean } {
  if (!bytes.subarray(0, 6).equals(SEVEN_ZIP_SIGNATURE) || bytes.length < 32) throw new Error('not a 7z archive');
  const nextHeaderOffset = Number(bytes.readBigUInt64LE(12));
  const nextHeaderSize = Number(bytes.readBigUInt64LE(20));
  const start = 32 + nextHeaderOffset;
  if (start + nextHeaderSize > bytes.length || nextHeaderSize <= 0) throw new Error('7z header outside the file');
  const header = bytes.subarray(start, start + nextHeaderSize);
  const usesAes = hasAesCoder(header);
  if (header[0] === 0x17) return usesAes ? { encrypted: true, namesHidden: true } : { encrypted: false };
  return usesAes ? { encrypted: true, namesHidden: false } : { encrypted: false };
}

/** A coder record with a 4-byte id (flag byte's low nibble 4) whose id is 06 F1 07 01 (7zAES). */
function hasAesCoder(header: Buffer): boolean {
  for (let i = header.indexOf(AES_CODER); i > 0; i = header.indexOf(AES_CODER, i + 1)) {
    if ((header[i - 1]! & 0x0f) === 4) return true;
  }
  return false;
}

/** Plain text of an RTF document: control words and hidden groups dropped, escapes decoded (Windows-1252). */
export function rtfText(rtf: string): string {
  return rtf
    .replace(/\{\\\*[^{}]*(?:\{[^{}]*\}[^{}]*)*\}/g, '') // {\*\destination ...} groups are not shown
    // \uN is followed by a fallback for old readers (\uc1: one character, often \'xx): drop it.
    .replace(/\\u(-?\d{1,5}) ?(?:\\'[0-9a-f]{2}|[^\\{}])?/gi, (_, code: string) => String.fromCharCode((Number(code) + 65536) % 65536))
    .replace(/\\'([0-9a-f]{2})/gi, (_, hex: string) => decodeTextBytes(Uint8Array.of(parseInt(hex, 16))).text)
    .replace(/\\(?:par|line|row|cell|tab)\b ?/g, '\n')
    .replace(/\\[a-z]+-?\d* ?/gi, '')
    .replace(/\\([\\{}])/g, '$1')
    .replace(/[{}]/g, '');
}

export const PGP_MESSAGE = /-----BEGIN PGP MESSAGE-----/;
