/**
 * A password for an attachment written in the same message, the way staff write it:
 * "the password is Wren-Hollow-52", "pw: 4471", "it opens with Wren-Hollow-52", or
 * "Password:" with the password on the next line. Promises to send it another way ("I will
 * phone you with the password"), password-reset mail and "password-protected" are not
 * passwords. The quoted thread counts: a password sent last week is still in the message.
 */
import type { Finding, FindingLocation } from '../engine/types.js';
import { redactWords } from '../text/redact.js';
import type { Detector } from './types.js';

// A quoted phrase ("Blue Tiger 9"), or one run of non-space characters.
const TOKEN = `(?:["\u201c]([^"\u201d\n]{3,64})["\u201d]|['\u2018]?([^\\s"'\u201d\u2019]{3,64}))`;
const CUE = '(?:password|passcode|pass code|passphrase|pass phrase|pwd|pw)';
// "PIN" and "key" are also ordinary words ("the key is under the mat"): what follows them must look like a code.
const WEAK_CUE = '(?:pin|pin code|key|code)';
// "password for the attachment is", "password to open the spreadsheet:", "password:"
const OBJECT = '(?:\\s+(?:for|to(?: open)?)\\s+(?:the|this|it|your)?\\s*(?:attachment|file|document|doc|spreadsheet|zip|pdf|report|folder|it)?)?';
const SAID = '\\s*(?:is|will be|=|:|-|\u2013)\\s*';
const PATTERNS: Array<{ evidence: string; pattern: RegExp; codeLike?: boolean }> = [
  { evidence: 'password-stated', pattern: new RegExp(`\\b${CUE}${OBJECT}${SAID}${TOKEN}`, 'giu') },
  { evidence: 'password-stated', pattern: new RegExp(`\\b${WEAK_CUE}${OBJECT}${SAID}${TOKEN}`, 'giu'), codeLike: true },
  // "passcode 8812": no "is", so only a code with a digit in it.
  { evidence: 'password-stated', pattern: new RegExp(`\\b${CUE}\\s+${TOKEN}`, 'giu'), codeLike: true },
  { evidence: 'opens-with', pattern: new RegExp(`\\b(?:opens?|unlocks?|open it|unlock it)\\s+(?:with|using)\\s+(?:the (?:password|code)\\s+)?${TOKEN}`, 'giu') },
  { evidence: 'password-line', pattern: new RegExp(`^[ \\t>]*${CUE}[ \\t]*:?[ \\t]*\\r?\\n[ \\t>]*${TOKEN}[ \\t]*$`, 'gimu') },
];

// Words that follow "password is" when no password is given: "the password is in a separate email".
const NOT_A_PASSWORD = new Set(
  'a an the in on to be by for from with will being coming sent separate separately following below above attached protected required needed needs reset expired changed same usual your my our their his her this that it its as and or not and phone text call sms whatsapp teams email mail message letter post later tomorrow soon there here what which who how when if known needed please see'.split(' '),
);

export function findPasswords(text: string): Array<{ evidence: string; token: string; index: number }> {
  const found: Array<{ evidence: string; token: string; index: number }> = [];
  for (const { evidence, pattern, codeLike } of PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const quoted = match[1] !== undefined;
      const token = (match[1] ?? match[2]!).replace(/[.,;:!?)\]]+$/, '');
      if (token.length < 3 || NOT_A_PASSWORD.has(token.toLowerCase()) || /^https?:/i.test(token)) continue;
      if (codeLike && !quoted && !/\d/.test(token)) continue;
      // "password-protected", "password reset": the cue is part of another word or phrase.
      if (/^(?:protected|reset|manager|policy|strength)/i.test(token)) continue;
      found.push({ evidence, token, index: match.index });
    }
  }
  return found;
}

export function createPasswordDetector(): Detector {
  return {
    name: 'password-in-message',
    detect({ message }): Finding[] {
      const findings: Finding[] = [];
      const seen = new Set<string>();
      const sources: Array<[FindingLocation, string]> = [
        ['subject', message.subject],
        ['body', message.text],
        ['body', message.htmlText],
      ];
      for (const [location, text] of sources) {
        for (const { evidence, token } of findPasswords(text)) {
          if (seen.has(token)) continue;
          seen.add(token);
          findings.push({ kind: 'password-in-message', location, excerpt: `password ${redactWords(token)}`, evidence });
        }
      }
      return findings;
    },
  };
}
