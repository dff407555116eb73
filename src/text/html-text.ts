import { convert as htmlToText } from 'html-to-text';
import { decodeEntities } from './entities.js';

/** HTML as the text a reader sees: cells apart, links and images dropped. Never rendered. */
export function htmlAsText(html: string): string {
  if (!html) return '';
  if (nestsDeeperThan(html, MAX_NESTING)) return stripTags(html);
  try {
    return htmlToText(html, {
      wordwrap: false,
      // Table cells are separated by tabs and rows by line breaks, so that a class list in an
      // HTML-only message reads "Jane<tab>Smith", not "JaneSmith".
      selectors: [
        { selector: 'a', options: { ignoreHref: true } },
        { selector: 'img', format: 'skip' },
        { selector: 'table', format: 'block' },
        { selector: 'tr', format: 'block' },
        { selector: 'td', format: 'inlineSurround', options: { prefix: '', suffix: '\t' } },
        { selector: 'th', format: 'inlineSurround', options: { prefix: '', suffix: '\t' } },
      ],
    });
  } catch {
    return stripTags(html);
  }
}


/**
 * Past this depth of open elements the converter is not used. htmlparser2 keeps its stack of
 * open elements with unshift, so each start tag costs the depth: 650 KB of unclosed tags
 * ("<c><is><t>" over and over) took over 2 s, and 1.2 MB took 21 s. Real mail nests a few
 * dozen deep.
 */
const MAX_NESTING = 512;
// A start or end tag. The name must end where the tag or an attribute starts, and nothing
// crosses a "<", so that unterminated tags keep the scan linear.
const TAG = /<(\/?)([A-Za-z][\w:.-]*)(?=[\s/>])[^<>]*>/g;
const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
// A second one of these closes the first ("<li>a<li>b"), as the parser does.
const CLOSED_BY_SIBLING = new Set(['p', 'li', 'td', 'th', 'tr', 'option', 'dt', 'dd']);

/** Whether the open elements nest deeper than `limit`, as an HTML parser would stack them (roughly, erring deep). */
function nestsDeeperThan(html: string, limit: number): boolean {
  const open: string[] = [];
  for (const [, closing, tagName] of html.matchAll(TAG)) {
    const name = tagName!.toLowerCase();
    if (closing) {
      const at = open.lastIndexOf(name);
      if (at !== -1) open.length = at;
    } else if (!VOID_ELEMENTS.has(name) && !(CLOSED_BY_SIBLING.has(name) && open.at(-1) === name)) {
      open.push(name);
      if (open.length > limit) return true;
    }
  }
  return false;
}

/**
 * The fallback for HTML too large (or too broken) for the converter: linear-time tag
 * stripping, so that such a body is still inspected rather than skipped.
 */
export function stripTags(html: string): string {
  return decodeEntities(
    html
      .replace(/<(?:br|\/p|\/div|\/tr|\/li|\/h[1-6]|hr)\b[^<>]*>/gi, '\n')
      .replace(/<\/t[dh]\b[^<>]*>/gi, '\t')
      .replace(/<[^<>]*>/g, ''),
  );
}
