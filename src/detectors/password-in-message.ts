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
const TOKEN = `(?:["\u201c]([^"\u201d\\n]{3,64})["\u201d]|['\u2018]?([^\\s"'\u201d\u2019]{3,64}))`;
const CUE = '(?:password|passcode|passphrase|pass phrase|pwd|pw)';
// "PIN" and "key" are also ordinary words ("the key is under the mat"): what follows them must look like a code.
const WEAK_CUE = '(?:pin|key)';
// "password for the attached file is", "password for Jane's report:", "password to open it:": up to four words.
// Only spaces and tabs, each run once, so that the pattern stays linear.
const OBJECT = "(?:[ \\t]+(?:for|to open|to)(?:[ \\t]+[\\w'\u2019]+){1,4}?)?";
const SAID = '[ \\t]*(?:(?:is|will be)(?:[ \\t]*[:\\-\u2013])?|=|:|-|\u2013)[ \\t]*';
const PATTERNS: Array<{ evidence: string; pattern: RegExp; codeLike?: boolean }> = [
  { evidence: 'password-stated', pattern: new RegExp(`\\b${CUE}${OBJECT}${SAID}${TOKEN}`, 'giu') },
  { evidence: 'password-stated', pattern: new RegExp(`\\b${WEAK_CUE}${OBJECT}${SAID}${TOKEN}`, 'giu'), codeLike: true },
  // "passcode 8812": no "is", so only a code with a digit in it.
  { evidence: 'password-stated', pattern: new RegExp(`\\b${CUE}[ \\t]+${TOKEN}`, 'giu'), codeLike: true },
  { evidence: 'opens-with', pattern: new RegExp(`\\b(?:opens?|unlocks?|open it|unlock it)[ \\t]+(?:with|using)[ \\t]+(?:the (?:password|code)[ \\t]+)?${TOKEN}`, 'giu') },
  { evidence: 'password-line', pattern: new RegExp(`^[ \\t>]*${CUE}[ \\t]*(?::[ \\t]*)?\\r?\\n[ \\t>]*${TOKEN}[ \\t]*$`, 'gimu') },
];
// Video-call invitations carry a "Passcode" for the meeting, not for an attachment.
const MEETING_CONTEXT = /\b(?:meeting id|zoom|teams meeting|webex|dial[- ]in|join (?:the )?meeting)\b/i;

// Words that follow "password is" when no password is given: "the password is in a separate email".
const NOT_A_PASSWORD = new Set(
  'a an the in on to be by for from with will being coming sent separate separately following below above attached protected required needed needs reset expired changed unchanged same usual your my our their his her this that it its as and or not phone text call sms whatsapp teams email mail message letter post later tomorrow soon there here what which who how when if known please see via under over at'.split(' '),
);

export function findPasswords(text: string): Array<{ evidence: string; token: string; index: number }> {
  const found: Array<{ evidence: string; token: string; index: number }> = [];
  for (const { evidence, pattern, codeLike } of PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const quoted = match[1] !== undefined;
      const token = (match[1] ?? match[2]!).replace(/[.,;:!?)\]]+$/, '');
      if (token.length < 3 || NOT_A_PASSWORD.has(token.toLowerCase()) || /^https?:/i.test(token)) continue;
      if (codeLike && !quoted && !/\d/.test(token)) continue;
      // "will be texted", "is unchanged": a promise or a state, not a password, unless it looks like one.
      if (!quoted && /\bwill be\b|\bis\b/i.test(match[0]) && /^[a-z]+ed$/i.test(token)) continue;
      if (/\bwill be\b/i.test(match[0]) && !quoted && !/\d|[a-z][A-Z]|[^\w]/.test(token)) continue;
      if (MEETING_CONTEXT.test(text.slice(Math.max(0, match.index - 300), match.index + 50))) continue;
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
        // A password.txt beside the encrypted zip, or the password in an attached message, travels with it too.
        ...message.parts.map((p): [FindingLocation, string] => [`attachment:${p.path}`, p.text]),
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
