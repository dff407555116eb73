/**
 * Header fields read from the message's own bytes, every one of them, however many lines the
 * header has: Haraka's parsed header stops at connection.ini's max_lines, and a proof must not
 * miss a field that a sender pushed past it.
 */

/** The values of every field called `name` (any case), unfolded and trimmed, in order. */
export function headerFieldValues(raw: Buffer, name: string): string[] {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = end === -1 ? text : text.slice(0, end);
  const wanted = name.toLowerCase();
  const values: string[] = [];
  let current: string | undefined;
  for (const line of header.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (current !== undefined) current += ` ${line.trim()}`;
      continue;
    }
    if (current !== undefined) values.push(current.trim());
    current = undefined;
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) current = line.slice(colon + 1);
  }
  if (current !== undefined) values.push(current.trim());
  return values;
}
