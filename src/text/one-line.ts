/**
 * Text for a one-line context (a subject, a file name): control characters, line and
 * paragraph separators and bidirectional overrides become spaces, runs of space one.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
}
