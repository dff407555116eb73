/**
 * Reads the guidance emails' template files: the shipped set in rules/notifications/, with
 * each file of the trust's own directory in its place. Compiling and rendering them is the
 * notify layer's job; this only finds the files and refuses names that match nothing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TemplateSources } from './settings.js';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** The shipped templates, with every file the trust's directory has in their place. Unknown file names are refused (a typo would silently change nothing). */
export function readTemplateSources(shippedDir: string, trustDir?: string): { sources: TemplateSources; overridden: string[] } {
  const sources = readTree(shippedDir);
  if (!trustDir) return { sources, overridden: [] };
  if (!existsSync(trustDir) || !statSync(trustDir).isDirectory()) throw new TemplateError(`${trustDir} is not a directory of templates`);
  const overrides = readTree(trustDir);
  const unknown = Object.keys(overrides).filter((name) => !(name in sources));
  if (unknown.length > 0) {
    throw new TemplateError(`${unknown.map((n) => join(trustDir, n)).join(', ')}: no such template (templates are: ${Object.keys(sources).sort().join(', ')})`);
  }
  return { sources: { ...sources, ...overrides }, overridden: Object.keys(overrides).sort() };
}

function readTree(dir: string, root = dir): TemplateSources {
  const out: TemplateSources = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, readTree(path, root));
    else if (entry.name.endsWith('.hbs')) out[relative(root, path).split('\\').join('/')] = readFileSync(path, 'utf8');
    // A misspelt name (reject.text.hb) would silently change nothing: refused like an unknown template.
    else if (!entry.name.startsWith('.')) out[relative(root, path).split('\\').join('/')] = '';
  }
  return out;
}
