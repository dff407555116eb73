/**
 * Every relative link in the documentation leads somewhere: the file exists, and a #fragment
 * names a heading of that page (as GitHub makes anchors from headings). The repository must
 * stand on its own: no link may leave it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

function markdownFiles(): string[] {
  const files = [join(REPO_ROOT, 'README.md')];
  for (const dir of ['docs', 'deploy']) {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { recursive: true }).map(String)) {
      if (entry.endsWith('.md')) files.push(join(REPO_ROOT, dir, entry));
    }
  }
  return files;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = !inCode && /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[^]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^(https?|mailto):/.test(target));
}

describe('documentation links', () => {
  it.each(markdownFiles().map((f) => [relative(REPO_ROOT, f), f]))('%s: every relative link resolves', (_name, file) => {
    const broken: string[] = [];
    for (const link of linksOf(file)) {
      const [path, fragment] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(file), path) : file;
      if (!target.startsWith(REPO_ROOT)) broken.push(`${link} (outside the repository)`);
      else if (!existsSync(target)) broken.push(`${link} (no such file)`);
      else if (fragment && statSync(target).isFile() && target.endsWith('.md') && !anchorsOf(target).has(fragment)) broken.push(`${link} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });
});
