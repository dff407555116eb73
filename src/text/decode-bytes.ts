/**
 * Turns bytes of unknown encoding into text: MIS exports and text attachments arrive as UTF-8 (with or without a
 * BOM), as Excel's "Unicode Text" (UTF-16LE with a BOM), or as Windows-1252 (SIMS, old Office).
 * Strict UTF-8 first; anything that is not valid UTF-8 is Windows-1252.
 */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

// Node 20's TextDecoder('windows-1252') maps 0x80-0x9F to C1 controls (nodejs/node#56542),
// which turns O’Connor (0x92) into O\u0092Connor. These are the real Windows-1252 characters;
// the rest of the range is Latin-1.
const CP1252_80_9F = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

export function decodeTextBytes(bytes: Uint8Array): { text: string; encoding: TextEncodingName } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: decodeUtf8OrCp1252(bytes.subarray(3)).text, encoding: 'utf-8' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  return decodeUtf8OrCp1252(bytes);
}

function decodeUtf8OrCp1252(bytes: Uint8Array): { text: string; encoding: TextEncodingName } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    let text = '';
    const chunk: number[] = [];
    for (const byte of bytes) {
      chunk.push(byte >= 0x80 && byte <= 0x9f ? CP1252_80_9F[byte - 0x80]! : byte);
      if (chunk.length === 8192) {
        text += String.fromCharCode(...chunk);
        chunk.length = 0;
      }
    }
    return { text: text + String.fromCharCode(...chunk), encoding: 'windows-1252' };
  }
}
