/**
 * Reads Haraka's .ini files (tls.ini, smtp_forward.ini, connection.ini) the way Haraka does
 * for what the relay and `dlp doctor` need of them: `[section]` headers, `key=value` lines
 * (keys before any section are in `main`), `key[]=value` lists, `;` and `#` comments.
 */
import { readFileSync } from 'node:fs';

export type IniSections = Record<string, Record<string, string | string[]>>;

/** The file's sections; a file that is missing or unreadable has none (Haraka's defaults apply). */
export function readHarakaIni(path: string): IniSections {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const sections: IniSections = {};
  let section = 'main';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    const values = (sections[section] ??= {});
    const value = pair[2]!.trim();
    if (pair[1]!.endsWith('[]')) {
      const name = pair[1]!.slice(0, -2);
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      values[pair[1]!] = value;
    }
  }
  return sections;
}

/** One value or list of a section as a list (Haraka takes `key=` and `key[]=` alike). */
export function iniList(section: Record<string, string | string[]> | undefined, key: string): string[] {
  const value = section?.[key];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
