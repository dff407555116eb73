// The end of an unquoted cell: a comma or a line break.
const CELL_END = /[,\r\n]/g;

/**
 * A CSV file as rows of tab-separated cells, so that "Jane,Smith" reads as two cells of one
 * row. RFC 4180 quoting ("Smith, Jane" is one cell, "" is a quote); a quote inside an
 * unquoted cell is just a quote, text after a closing quote joins the cell, an unclosed
 * quote runs to the end, and empty lines are skipped. Rows may have any number of cells.
 *
 * Not csv-parse: it builds an error (a stack trace and JSON copies of the row) for every row
 * whose cell count differs from the first's, even when told to allow it, so 200 KB of short
 * rows took over 2 s, and a few megabytes the whole inspection's time.
 */
export function csvAsText(text: string): string {
  const rows: string[] = [];
  let cells: string[] = [];
  for (let at = 0; at < text.length; ) {
    let cell = '';
    const quoted = text[at] === '"';
    if (quoted) {
      for (at++; ; ) {
        const quote = text.indexOf('"', at);
        if (quote === -1) {
          cell += text.slice(at);
          at = text.length;
          break;
        }
        cell += text.slice(at, quote);
        at = quote + 1;
        if (text[at] !== '"') break;
        cell += '"';
        at++;
      }
    }
    CELL_END.lastIndex = at;
    const end = CELL_END.exec(text);
    cell += text.slice(at, end ? end.index : text.length);
    cells.push(cell);
    if (end?.[0] === ',') {
      at = end.index + 1;
      if (at === text.length) cells.push('');
      continue;
    }
    at = !end ? text.length : end.index + (text.startsWith('\r\n', end.index) ? 2 : 1);
    if (cells.length > 1 || cells[0] !== '' || quoted) rows.push(cells.join('\t'));
    cells = [];
  }
  if (cells.length > 0) rows.push(cells.join('\t'));
  return rows.join('\n');
}
