/**
 * UTF-7 (RFC 2152), decoded for reading only. mailparser refuses the charset (it can carry
 * markup past HTML filters) and leaves the text as it was sent, but Outlook and Thunderbird
 * still show it decoded: "NHS number +ADk-43 476 5919" is read as "NHS number 943 476 5919".
 */
const SHIFTED = /\+([A-Za-z0-9+/]*)-?/g;

export function decodeUtf7(text: string): string {
  return text.replace(SHIFTED, (_, base64: string) => {
    if (base64 === '') return '+'; // "+-" is a plus sign
    const bytes = Buffer.from(base64, 'base64');
    let decoded = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) decoded += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return decoded;
  });
}

/** A charset parameter or encoded word that names UTF-7 (utf-7, utf7, unicode-1-1-utf-7, csUnicode11UTF7). */
export const DECLARES_UTF7 = /charset\s*=\s*["']?(?:cs)?(?:unicode-?1-?1-?)?utf-?7\b|=\?(?:cs)?(?:unicode-?1-?1-?)?utf-?7[?*]/i;
