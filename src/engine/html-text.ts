import { convert as htmlToText } from 'html-to-text';
import { decodeEntities } from '../text/entities.js';

/** HTML as the text a reader sees: cells apart, links and images dropped. Never rendered. */
export function htmlAsText(html: string): string {
  if (!html) return '';
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
