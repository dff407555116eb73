/**
 * Redaction for findings: enough for a reviewer to recognise what was found, too little
 * for the log, the verdict header or a guidance email to leak it.
 */

/** "Jane O'Connor-Smith" → "J*** O******-S****": first letter of each word, the rest starred. */
export function redactWords(text: string): string {
  return text.replace(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’]*/gu, (word) => {
    const [first = ''] = [...word];
    return first + '*'.repeat(Math.max(0, [...word].length - 1));
  });
}

/** "UPN A12…": the label and the first three characters of the compact value. */
export function redactIdentifier(label: string, compact: string): string {
  return `${label} ${compact.slice(0, 3)}…`;
}
