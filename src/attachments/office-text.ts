/**
 * Text from the XML inside Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods,
 * odp) files: the parts that hold what a reader sees, read directly (the zip is opened by
 * ./zip.ts). Paragraphs, cells and rows become line breaks and tabs, so that names in
 * adjacent cells stay apart.
 */
import type { ZipEntry } from './zip.js';

/** The entries of each format that hold its text, in reading order. */
export function textParts(format: string, entries: readonly ZipEntry[]): ZipEntry[] {
  const wanted = (pattern: RegExp): ZipEntry[] =>
    entries.filter((e) => pattern.test(e.name)).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  switch (format) {
    case 'docx':
      return wanted(/^word\/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$/);
    case 'xlsx':
      return wanted(/^xl\/worksheets\/sheet\d+\.xml$/);
    case 'pptx':
      return wanted(/^ppt\/(slides\/slide\d+|notesSlides\/notesSlide\d+)\.xml$/);
    case 'odt':
    case 'ods':
    case 'odp':
      return wanted(/^content\.xml$/);
    default:
      return [];
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Visible text of an Office XML part. Breaks after paragraphs (w:p, a:p, text:p, text:h),
 * rows (w:tr, row, table:table-row); tabs after cells (w:tc, c, table:table-cell) and w:tab.
 * Inline strings in xlsx (<is><t>) and shared strings (<si><t>) are both plain <t> text.
 */
export function officeXmlText(xml: string): string {
  return xml
    .replace(/<\/(?:w:p|a:p|text:p|text:h|w:tr|row|table:table-row|si)>/g, '\n')
    .replace(/<\/(?:w:tc|c|table:table-cell)>|<(?:w:tab|text:tab|w:br|text:line-break)\b[^>]*\/>/g, '\t')
    // Spreadsheet cells hold numbers and formulas in <v>/<f>: keep values (dates, ids), drop formulas.
    .replace(/<f\b[^>]*>[^<]*<\/f>/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]+);/gi, (entity: string, name: string) => {
      if (name.startsWith('#')) {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
      }
      return ENTITIES[name.toLowerCase()] ?? entity;
    });
}

/** The strings of xl/sharedStrings.xml, in index order. */
export function sharedStrings(xml: string): string[] {
  return [...xml.matchAll(/<si\b[^>]*>([\s\S]*?)<\/si>/g)].map((m) => officeXmlText(m[1]!).trim());
}

/** A worksheet as rows of tab-separated cells, shared strings resolved: "Jane<tab>Smith<tab>41914". */
export function worksheetText(xml: string, strings: readonly string[]): string {
  const rows: string[] = [];
  for (const row of xml.matchAll(/<row\b[^>]*>([\s\S]*?)<\/row>/g)) {
    const cells: string[] = [];
    for (const cell of row[1]!.matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const type = /\bt="([^"]*)"/.exec(cell[1]!)?.[1];
      const body = cell[2] ?? '';
      const value = /<v>([^<]*)<\/v>/.exec(body)?.[1] ?? '';
      if (type === 's') cells.push(strings[Number(value)] ?? '');
      else if (type === 'inlineStr') cells.push(officeXmlText(body).trim());
      else cells.push(officeXmlText(value));
    }
    rows.push(cells.join('\t'));
  }
  return rows.join('\n');
}
