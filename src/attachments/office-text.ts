/**
 * Text from the XML inside Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods,
 * odp) files: the parts that hold what a reader sees, read directly (the zip is opened by
 * ./zip.ts). Paragraphs, cells and rows become line breaks and tabs, so that names in
 * adjacent cells stay apart.
 */
import { decodeEntities } from '../text/entities.js';
import type { ZipEntry } from './zip.js';

/** The entries of each format that hold its text, in reading order (any name: Word Online writes document2.xml). */
export function textParts(format: string, entries: readonly ZipEntry[]): ZipEntry[] {
  const wanted = (pattern: RegExp): ZipEntry[] =>
    entries.filter((e) => pattern.test(e.name)).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  switch (format) {
    case 'docx':
      return wanted(/^word\/(?!(?:styles|stylesWithEffects|settings|webSettings|fontTable|numbering)\.xml$)[^/]+\.xml$/);
    case 'xlsx':
      return wanted(/^xl\/worksheets\/[^/]+\.xml$/);
    case 'pptx':
      return wanted(/^ppt\/(?:slides|notesSlides)\/[^/]+\.xml$/);
    case 'odt':
    case 'ods':
    case 'odp':
      return wanted(/^content\.xml$/);
    default:
      return [];
  }
}


/**
 * Visible text of an Office XML part. Breaks after paragraphs (w:p, a:p, text:p, text:h),
 * rows (w:tr, row, table:table-row); tabs after cells (w:tc, c, table:table-cell) and w:tab.
 * Inline strings in xlsx (<is><t>) and shared strings (<si><t>) are both plain <t> text.
 */
export function officeXmlText(xml: string): string {
  // Element names may carry any namespace prefix (w:, a:, x:, text:, table:, or none). Every
  // pattern is linear: tags are matched with [^<>], never with lazy or nested quantifiers.
  return decodeEntities(
    xml
      .replace(/<\/(?:[\w.-]+:)?(?:p|h|tr|row|table-row|si)>/g, '\n')
      .replace(/<\/(?:[\w.-]+:)?(?:tc|c|table-cell)>|<(?:[\w.-]+:)?(?:tab|br|line-break)\b[^<>]*\/>/g, '\t')
      // Spreadsheet cells hold numbers and formulas: keep values (dates, ids), drop formulas.
      .replace(/<(?:[\w.-]+:)?f\b[^<>]*>[^<>]*<\/(?:[\w.-]+:)?f>/g, '')
      .replace(/<[^<>]*>/g, ''),
  );
}

/** The strings of xl/sharedStrings.xml, in index order. */
export function sharedStrings(xml: string): string[] {
  const chunks = xml.split(/<\/(?:[\w.-]+:)?si>/);
  chunks.pop(); // after the last </si>
  return chunks.map((chunk) => {
    const start = chunk.search(/<(?:[\w.-]+:)?si\b/);
    return officeXmlText(start < 0 ? chunk : chunk.slice(start)).trim();
  });
}

/** A worksheet as rows of tab-separated cells, shared strings resolved: "Jane<tab>Smith<tab>41914". */
export function worksheetText(xml: string, strings: readonly string[]): string {
  // One pass over the sheet (a 5 MB xlsx holds a million cells): each cell's start tag, then
  // the end of that cell or of its row, whichever comes first.
  const cellStartOrRowEnd = /<(?:[\w.-]+:)?c\b([^<>]*)>|<\/(?:[\w.-]+:)?row>/g;
  const cellOrRowEnd = /<\/(?:[\w.-]+:)?(c|row)>/g;
  const rows: string[] = [];
  let cells: string[] = [];
  const endRow = (): void => {
    if (cells.length > 0) rows.push(cells.join('\t'));
    cells = [];
  };
  for (let start = cellStartOrRowEnd.exec(xml); start; start = cellStartOrRowEnd.exec(xml)) {
    const attributes = start[1];
    if (attributes === undefined) {
      endRow();
      continue;
    }
    if (attributes.endsWith('/')) continue; // a self-closing cell holds nothing
    cellOrRowEnd.lastIndex = cellStartOrRowEnd.lastIndex;
    const end = cellOrRowEnd.exec(xml);
    const body = xml.slice(cellStartOrRowEnd.lastIndex, end ? end.index : xml.length);
    // After a cell's end, look for the next cell; a row's end is read by the loop itself.
    cellStartOrRowEnd.lastIndex = !end ? xml.length : end[1] === 'c' ? cellOrRowEnd.lastIndex : end.index;
    const type = /\bt="([^"]*)"/.exec(attributes)?.[1];
    const value = /<(?:[\w.-]+:)?v>([^<>]*)<\/(?:[\w.-]+:)?v>/.exec(body)?.[1] ?? '';
    if (type === 's') cells.push(strings[Number(value)] ?? '');
    else if (type === 'inlineStr') cells.push(officeXmlText(body).trim());
    else cells.push(value.includes('&') ? decodeEntities(value) : value);
  }
  endRow();
  return rows.join('\n');
}

/** Any other XML (a Common Transfer File, say): every tag is a break between words. */
export function xmlText(xml: string): string {
  return officeXmlText(xml.replace(/<[^<>]*>/g, (tag) => `${tag}\n`));
}
