/**
 * Encryption in containers that are not zip: OLE compound files (password-protected
 * Office documents of every era, read with the `cfb` package), 7z archives, S/MIME and PGP.
 * "Encrypted" means a password (or key) is needed to open it.
 */
import { createHash } from 'node:crypto';
import CFB from 'cfb';
import { decompress as lzmaDecompress } from 'lzma1';
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
    const filePass = biffFilePass(workbook);
    // Excel protects a workbook's structure by "encrypting" it with the published default
    // password VelvetSweatshop: it opens for anyone, so it is not encrypted.
    if (filePass && !opensWithDefaultPassword(filePass)) {
      return { kind: 'encrypted', description: 'Excel 97-2003 workbook encrypted with a password', evidence: 'xls-filepass' };
    }
    return { kind: 'legacy-office', format: 'xls' };
  }
  if (stream('PowerPoint Document')) return { kind: 'legacy-office', format: 'ppt' };
  return { kind: 'other' };
}

/** [MS-XLS]: the FILEPASS record (0x002F) in the workbook globals, before their EOF (0x000A), when the workbook has one. */
function biffFilePass(workbook: Buffer): Buffer | undefined {
  for (let offset = 0; offset + 4 <= workbook.length; ) {
    const type = workbook.readUInt16LE(offset);
    const length = workbook.readUInt16LE(offset + 2);
    if (type === 0x002f) return workbook.subarray(offset + 4, offset + 4 + length);
    if (type === 0x000a) return undefined;
    offset += 4 + length;
  }
  return undefined;
}

const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();

/**
 * [MS-OFFCRYPTO] 2.3.6 Office binary RC4 encryption (FILEPASS type 1, version 1.1): does the
 * password verifier check out for "VelvetSweatshop"? Other schemes are taken as encrypted.
 */
function opensWithDefaultPassword(filePass: Buffer): boolean {
  if (filePass.length < 54 || filePass.readUInt16LE(0) !== 1 || filePass.readUInt16LE(2) !== 1 || filePass.readUInt16LE(4) !== 1) return false;
  const salt = filePass.subarray(6, 22);
  const h0 = md5(Buffer.from('VelvetSweatshop', 'utf16le'));
  const h1 = md5(Buffer.concat(Array.from({ length: 16 }, () => Buffer.concat([h0.subarray(0, 5), salt]))));
  const key = md5(Buffer.concat([h1.subarray(0, 5), Buffer.alloc(4)])); // block 0
  const plain = rc4(key, filePass.subarray(22, 54));
  return md5(plain.subarray(0, 16)).equals(plain.subarray(16, 32));
}

/** RC4, which Node's OpenSSL 3 no longer offers; only used to check a verifier. */
function rc4(key: Buffer, data: Buffer): Buffer {
  const state = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + state[i]! + key[i % key.length]!) & 255;
    [state[i], state[j]] = [state[j]!, state[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + state[i]!) & 255;
    [state[i], state[j]] = [state[j]!, state[i]!];
    out[k] = data[k]! ^ state[(state[i]! + state[j]!) & 255]!;
  }
  return out;
}

const SEVEN_ZIP_SIGNATURE = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);
const AES_CODER = Buffer.from([0x06, 0xf1, 0x07, 0x01]);

/**
 * A 7z archive's encryption, from its headers ([7zFormat.txt]). With `-mhe` the header itself
 * is encrypted (coder 7zAES), which hides even the file names. Otherwise the header lists
 * each folder's coders, 7zAES among them when the content is encrypted; 7-Zip usually
 * compresses that header with LZMA, so it is decompressed (the `lzma1` package) first.
 */
export function sevenZipEncryption(bytes: Buffer): { encrypted: false } | { encrypted: true; namesHidden: boolean } {
  if (!bytes.subarray(0, 6).equals(SEVEN_ZIP_SIGNATURE) || bytes.length < 32) throw new Error('not a 7z archive');
  const nextHeaderOffset = Number(bytes.readBigUInt64LE(12));
  const nextHeaderSize = Number(bytes.readBigUInt64LE(20));
  const start = 32 + nextHeaderOffset;
  if (start + nextHeaderSize > bytes.length || nextHeaderSize <= 0) throw new Error('7z header outside the file');
  const header = bytes.subarray(start, start + nextHeaderSize);
  if (header[0] !== 0x17) return hasAesCoder(header) ? { encrypted: true, namesHidden: false } : { encrypted: false };
  const encoded = readEncodedHeader(header);
  if (encoded.coders.includes('06f10701')) return { encrypted: true, namesHidden: true };
  if (encoded.coders.length !== 1 || encoded.coders[0] !== '030101') throw new Error(`7z header packed with coders ${encoded.coders.join('+')}`);
  if (encoded.unpackSize > MAX_7Z_HEADER_BYTES) throw new Error('7z header too large');
  const packed = bytes.subarray(32 + encoded.packPos, 32 + encoded.packPos + encoded.packSize);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(encoded.unpackSize));
  const decoded = Buffer.from(lzmaDecompress(Buffer.concat([encoded.props, size, packed])));
  return hasAesCoder(decoded) ? { encrypted: true, namesHidden: false } : { encrypted: false };
}

const MAX_7Z_HEADER_BYTES = 16 * 1024 * 1024;

/** The packed stream and coders of a 7z EncodedHeader (one folder, as 7-Zip writes it). */
function readEncodedHeader(header: Buffer): { coders: string[]; props: Buffer; packPos: number; packSize: number; unpackSize: number } {
  let pos = 1;
  const byte = (): number => {
    if (pos >= header.length) throw new Error('7z header ends early');
    return header[pos++]!;
  };
  // 7z NUMBER: the leading one-bits of the first byte say how many more bytes follow.
  const number = (): number => {
    const first = byte();
    let value = 0;
    for (let i = 0, mask = 0x80; i < 8; i++, mask >>= 1) {
      if ((first & mask) === 0) return value + (first & (mask - 1)) * 2 ** (8 * i);
      value += byte() * 2 ** (8 * i);
    }
    return value;
  };
  const take = (n: number): Buffer => {
    if (pos + n > header.length) throw new Error('7z header ends early');
    pos += n;
    return header.subarray(pos - n, pos);
  };
  if (byte() !== 0x06) throw new Error('7z encoded header without pack info');
  const packPos = number();
  const packStreams = number();
  let packSize = 0;
  for (let id = byte(); id !== 0x00; id = byte()) {
    if (id === 0x09) for (let i = 0; i < packStreams; i++) packSize += number();
    else if (id === 0x0a) take(byte() ? 4 * packStreams : Math.ceil(packStreams / 8) + 4 * packStreams);
    else throw new Error('7z pack info not understood');
  }
  if (byte() !== 0x07 || byte() !== 0x0b || number() !== 1 || byte() !== 0x00) throw new Error('7z encoded header not understood');
  const coders: string[] = [];
  let props: Buffer = Buffer.alloc(0);
  for (let c = number(); c > 0; c--) {
    const flag = byte();
    coders.push(take(flag & 0x0f).toString('hex'));
    if (flag & 0x10) {
      number();
      number();
    }
    if (flag & 0x20) props = take(number());
  }
  if (byte() !== 0x0c) throw new Error('7z encoded header without sizes');
  return { coders, props, packPos, packSize, unpackSize: number() };
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
