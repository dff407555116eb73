/** What the first prefix of a subject line says the message is. */
export type SubjectIntent = 'forward' | 'reply' | 'new';

// Bracketed tags that gateways put in front ("[EXTERNAL]", "[SECURE]") are skipped.
const LEADING_TAG = /^\s*\[[^\]]{1,40}\]\s*/;
// A prefix word, an optional counter ("RE[2]:"), then a colon (ASCII or full-width). One run of
// white space between each: two runs side by side ("\s*(?:...)?\s*") backtrack quadratically
// over a subject of a word and a long run of spaces.
const PREFIX = /^\s*([\p{L}]{1,10})\s*(?:\[\d{1,3}\]\s*)?[:：]/u;

/**
 * Reads the first recognised prefix of a subject: "FW: RE: x" is a forward, "RE: FW: x"
 * a reply. Unrecognised words ("Note: ...") end the search.
 */
export function subjectIntent(
  subject: string,
  prefixes: { forward: ReadonlySet<string>; reply: ReadonlySet<string> },
): { intent: SubjectIntent; prefix?: string } {
  let rest = subject;
  for (let guard = 0; guard < 10; guard++) {
    const tag = LEADING_TAG.exec(rest);
    if (tag) {
      rest = rest.slice(tag[0].length);
      continue;
    }
    const match = PREFIX.exec(rest);
    if (!match) break;
    const word = match[1]!.toUpperCase();
    if (prefixes.forward.has(word)) return { intent: 'forward', prefix: match[1]! };
    if (prefixes.reply.has(word)) return { intent: 'reply', prefix: match[1]! };
    break;
  }
  return { intent: 'new' };
}
