import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import { ConfigError } from './errors.js';

/** A parsed YAML file that can say which line a key is on, for error messages. */
export interface YamlFile {
  path: string;
  text: string;
  data: unknown;
  lineOf(keyPath: readonly PropertyKey[]): number | undefined;
}

/** Reads and parses a YAML file; `text`, when given, is used instead of reading `path`. */
export function readYamlFile(path: string, displayName: string, text?: string): YamlFile {
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? String(cause)})`;
      throw new ConfigError([{ file: displayName, key: '', problem }], { cause });
    }
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const line = e.linePos?.[0]?.line;
        const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return { file: displayName, key: '', problem: `not valid YAML: ${message}`, ...(line ? { line } : {}) };
      }),
    );
  }
  return {
    path,
    text,
    data: doc.toJS() ?? {},
    lineOf(keyPath) {
      // The line of the key itself (for a map entry) or of the item (for a list), walking down
      // as far as the path exists, so a missing key points at its parent.
      let node: unknown = doc.contents;
      let line: number | undefined;
      for (const key of keyPath) {
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
          if (!pair) break;
          if (isNode(pair.key) && pair.key.range) line = lineCounter.linePos(pair.key.range[0]).line;
          node = pair.value;
        } else if (isSeq(node) && typeof key === 'number') {
          const item = node.items[key];
          if (!isNode(item) || !item.range) break;
          line = lineCounter.linePos(item.range[0]).line;
          node = item;
        } else {
          break;
        }
      }
      return line;
    },
  };
}
