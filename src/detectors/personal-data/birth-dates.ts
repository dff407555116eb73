/**
 * Dates of birth: a date written with a birth context ("DOB", "date of birth", "born",
 * "d.o.b.") or right beside a pupil's name. Other dates (meetings, deadlines, trips) are
 * not findings; a date beside a name must also be a plausible pupil's birth date.
 */
import { redactWords } from '../../text/redact.js';

export interface DateHit {
  start: number;
  end: number;
  /** ISO yyyy-mm-dd. */
  iso: string;
  excerpt: string;
  /** Written with a birth context, as opposed to only beside a name. */
  labelled: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const month = (group: string): string =>
  `(?<${group}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?`;
const DAY_SUFFIX = '(?:st|nd|rd|th)?';
const DATE = new RegExp(
  [
    '(?<![\\p{L}\\p{N}])(?<d1>\\d{1,2})(?<sep>[/.-])(?<m1>\\d{1,2})\\k<sep>(?<y1>\\d{4}|\\d{2})(?![\\p{L}\\p{N}]|[/.-]\\d)',
    '(?<![\\p{L}\\p{N}])(?<y2>\\d{4})-(?<m2>\\d{2})-(?<d2>\\d{2})(?![\\p{L}\\p{N}])',
    `(?<![\\p{L}\\p{N}])(?<d3>\\d{1,2})${DAY_SUFFIX}(?: of)? ${month('mn3')},? (?<y3>\\d{4})(?![\\p{L}\\p{N}])`,
    `(?<![\\p{L}\\p{N}])${month('mn4')} (?<d4>\\d{1,2})${DAY_SUFFIX},? (?<y4>\\d{4})(?![\\p{L}\\p{N}])`,
    // Excel's default: 4-Feb-2015, 04-Feb-15, 04/Feb/2015.
    `(?<![\\p{L}\\p{N}])(?<d5>\\d{1,2})(?<sep5>[-/])${month('mn5')}\\k<sep5>(?<y5>\\d{4}|\\d{2})(?![\\p{L}\\p{N}])`,
  ].join('|'),
  'giu',
);
const BIRTH_CONTEXT = /(?:\bdate of birth|\bd\.? ?o\.? ?b\b\.?|\bborn(?: on)?\b|\bbirth ?date\b|\bbirthday\b)[\s:.\-–(]*$/i;
const CONTEXT_CHARS = 30;

/** Dates in `text`, each marked whether a birth context labels it. */
export function findDates(text: string, today: string): DateHit[] {
  const hits: DateHit[] = [];
  for (const match of text.matchAll(DATE)) {
    const g = match.groups!;
    const iso = toIso(
      Number(g['y1'] ?? g['y2'] ?? g['y3'] ?? g['y4'] ?? g['y5']),
      Number(g['m1'] ?? g['m2'] ?? MONTHS.indexOf((g['mn3'] ?? g['mn4'] ?? g['mn5'] ?? '').slice(0, 3).toLowerCase()) + 1),
      Number(g['d1'] ?? g['d2'] ?? g['d3'] ?? g['d4'] ?? g['d5']),
      (g['y1'] ?? g['y5'] ?? '').length === 2 ? Number(today.slice(0, 4)) : undefined,
    );
    if (!iso) continue;
    const before = text.slice(Math.max(0, match.index - CONTEXT_CHARS), match.index);
    hits.push({
      start: match.index,
      end: match.index + match[0].length,
      iso,
      excerpt: `date of birth ${redactWords(match[0])}`,
      labelled: BIRTH_CONTEXT.test(before),
    });
  }
  return hits;
}

function toIso(year: number, month: number, day: number, thisYearIfTwoDigits: number | undefined): string | undefined {
  // dd/mm/yy: a birth year in the last century or this one, whichever is not in the future.
  if (thisYearIfTwoDigits !== undefined) year += year + 2000 > thisYearIfTwoDigits ? 1900 : 2000;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

/** A birth date: not in the future, not before 1900. */
export function isPastDate(iso: string, today: string): boolean {
  return iso >= '1900-01-01' && iso <= today;
}

/** A school pupil's birth date: 2 to 25 years before today (nursery to the oldest post-16 learners with an EHCP). */
export function isPupilAge(iso: string, today: string): boolean {
  const year = Number(today.slice(0, 4));
  return iso >= `${year - 25}${today.slice(4)}` && iso <= `${year - 2}${today.slice(4)}`;
}
