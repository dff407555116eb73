/**
 * Check rules for UK identifiers, from the published specifications (sources and test
 * vectors in docs/research/uk-identifiers.md). No npm package covers UPN or ULN, and the
 * ones for NHS and NI numbers are each a few lines of the same arithmetic, so the four
 * live here side by side with the vectors in test/identifiers.
 *
 * Every function takes the compact form: upper case, no spaces or hyphens.
 */

/** DfE check-letter table: A-Z without I, O and S. */
const UPN_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ';

/**
 * Unique Pupil Number: check letter, 3-digit LA code, 4-digit establishment, 2-digit year,
 * 3-digit serial; a temporary UPN has a letter in place of the last serial digit.
 */
export function isValidUpn(upn: string): boolean {
  return /^[A-Z]\d{11}[0-9A-Z]$/.test(upn) && upnCheckLetter(upn.slice(1)) === upn[0];
}

/**
 * The check letter for a UPN's other 12 characters (undefined if the last is a letter outside
 * the table). Sum of (value × position) for positions 2..13, mod 23, indexes the table.
 */
export function upnCheckLetter(body: string): string | undefined {
  const last = body[11]!;
  let sum = 0;
  for (let position = 2; position <= 12; position++) sum += Number(body[position - 2]) * position;
  if (/\d/.test(last)) sum += Number(last) * 13;
  else {
    const value = UPN_LETTERS.indexOf(last);
    if (value < 0) return undefined;
    sum += value * 13;
  }
  return UPN_LETTERS[sum % 23];
}

/** A temporary UPN (a letter in position 13), which the school should replace once the real one is known. */
export function isTemporaryUpn(upn: string): boolean {
  return isValidUpn(upn) && /[A-Z]$/.test(upn);
}

/** Weighted sum of the first nine digits with weights 10..2, as the NHS and ULN checks use. */
function weightedSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  return sum;
}

/** Repeated or running digits pass the mod-11 checks by accident (0000000000, 9876543210). */
function isPlaceholder(digits: string): boolean {
  if (/^(\d)\1+$/.test(digits)) return true;
  return '01234567890123456789'.includes(digits) || '98765432109876543210'.includes(digits);
}

/** Unique Learner Number (LRS): 10 digits, not starting 0; check = 10 − (sum mod 11), remainder 0 invalid. */
export function isValidUln(uln: string): boolean {
  if (!/^[1-9]\d{9}$/.test(uln) || isPlaceholder(uln)) return false;
  const remainder = weightedSum(uln) % 11;
  return remainder !== 0 && 10 - remainder === Number(uln[9]);
}

/** NHS number: 10 digits; check = 11 − (sum mod 11), 11 → 0, 10 → no valid number. */
export function isValidNhsNumber(nhs: string): boolean {
  if (!/^\d{10}$/.test(nhs) || isPlaceholder(nhs)) return false;
  let check = 11 - (weightedSum(nhs) % 11);
  if (check === 11) check = 0;
  return check !== 10 && check === Number(nhs[9]);
}

// HMRC NIM39110: D F I Q U V never used as either letter; O never second; these pairs never issued.
const NINO_UNUSED_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
// Administrative numbers that look like NI numbers but belong to no person.
const NINO_ADMINISTRATIVE_PREFIXES = new Set(['OO', 'CR', 'FY', 'MW', 'NC', 'PP', 'PY', 'PZ']);

/** National Insurance number: two prefix letters, six digits, suffix A-D. There is no check character. */
export function isValidNino(nino: string): boolean {
  const match = /^([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])\d{6}[A-D]$/.exec(nino);
  if (!match) return false;
  const prefix = match[1]! + match[2]!;
  return !NINO_UNUSED_PREFIXES.has(prefix) && !NINO_ADMINISTRATIVE_PREFIXES.has(prefix);
}
