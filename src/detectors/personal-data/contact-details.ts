/**
 * Home contact details: UK postcodes and mobile numbers. Schools' own numbers are
 * landlines, so only mobiles count as personal; both count only beside pupil data.
 */
import { redactWords } from '../../text/redact.js';

export interface ContactHit {
  start: number;
  end: number;
  what: 'postcode' | 'mobile';
  excerpt: string;
}

// Outward code, then inward code: a digit and two letters, never C, I, K, M, O or V.
const POSTCODE = /(?<![\p{L}\p{N}])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}(?![\p{L}\p{N}])/giu;
// "y6 2nd" is a year group and a place, not a postcode.
const ORDINAL_INWARD = /\d(?:st|nd|rd|th)$/i;
// 07700 900123, 07700-900-123, (07700) 900123, +44 (0)7700 900123, 0044 7700 900123.
const MOBILE = /(?<![\p{N}+])(?:(?:\+44|0044) ?(?:\(0\) ?)?|\(?0)7\d{3}\)?[ -]?\d{3}[ -]?\d{3}(?![\p{N}])/gu;

export function findContactDetails(text: string): ContactHit[] {
  const hits: ContactHit[] = [];
  for (const match of text.matchAll(POSTCODE)) {
    if (ORDINAL_INWARD.test(match[0])) continue;
    hits.push({ start: match.index, end: match.index + match[0].length, what: 'postcode', excerpt: `postcode ${redactWords(match[0])}` });
  }
  for (const match of text.matchAll(MOBILE)) {
    hits.push({ start: match.index, end: match.index + match[0].length, what: 'mobile', excerpt: `mobile ${redactWords(match[0])}` });
  }
  return hits;
}
