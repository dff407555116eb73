/**
 * docs/POLICY.md is the DPO's description of the shipped policy. Its rule table must list
 * every rule in rules/rules.yaml, and nothing else, with the same default action, so that
 * a rule added or an action changed in rules.yaml cannot leave the document behind. The
 * README's summary of the default policy is held to the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleDefinitionsSchema } from '../../src/config/schema.js';
import { REPO_ROOT } from '../support/paths.js';

const POLICY = join(REPO_ROOT, 'docs', 'POLICY.md');
const README = join(REPO_ROOT, 'README.md');
const RULES = join(REPO_ROOT, 'rules', 'rules.yaml');
const POLICY_TABLE = { heading: '## Rules and default actions', idColumn: 'rule id', actionColumn: 'default' };
const README_TABLE = { heading: '## The default policy', idColumn: 'rule', actionColumn: 'default' };
type TableSpec = typeof POLICY_TABLE;

const shipped = ruleDefinitionsSchema.parse(parse(readFileSync(RULES, 'utf8')));

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}

/** The rule table under `spec.heading`: rule id (the first `code` in its cell) -> default action, in the order written. */
function ruleTable(markdown: string, spec: TableSpec): Map<string, string> {
  const start = markdown.indexOf(`\n${spec.heading}\n`);
  if (start < 0) throw new Error(`no "${spec.heading}" section`);
  const section = markdown.slice(start + spec.heading.length + 2);
  const end = section.search(/^## /m);
  const lines = (end < 0 ? section : section.slice(0, end)).split('\n');
  const first = lines.findIndex((l) => l.trim().startsWith('|'));
  if (first < 0) throw new Error(`the "${spec.heading}" section has no table`);
  const header = cells(lines[first]!).map((h) => h.toLowerCase());
  const idColumn = header.indexOf(spec.idColumn);
  const actionColumn = header.indexOf(spec.actionColumn);
  if (idColumn < 0 || actionColumn < 0) throw new Error(`the rule table needs "${spec.idColumn}" and "${spec.actionColumn}" columns, not: ${header.join(', ')}`);
  const table = new Map<string, string>();
  for (const line of lines.slice(first + 2)) {
    if (!line.trim().startsWith('|')) break;
    const row = cells(line);
    const id = /^`([^`]+)`/.exec(row[idColumn] ?? '')?.[1];
    if (!id) throw new Error(`a rule table row whose "${spec.idColumn}" cell does not start with a \`rule-id\`: ${line}`);
    if (table.has(id)) throw new Error(`rule ${id} is in the table twice`);
    table.set(id, (row[actionColumn] ?? '').replace(/\*/g, '').trim().toLowerCase());
  }
  return table;
}

describe.each([
  ['docs/POLICY.md', POLICY, POLICY_TABLE],
  ['README.md', README, README_TABLE],
] as const)('%s describes the shipped rules', (name, file, spec) => {
  const table = ruleTable(readFileSync(file, 'utf8'), spec);

  it.each(Object.entries(shipped).map(([id, rule]) => [id, rule.action] as const))(
    '%s is in the rule table with its default action (%s)',
    (id, action) => {
      expect(table.has(id), `rule ${id} from rules/rules.yaml is missing from the rule table in ${name}`).toBe(true);
      expect(table.get(id), `the default action of ${id} in ${name} differs from rules/rules.yaml`).toBe(action);
    },
  );

  it('lists no rule that rules/rules.yaml does not ship', () => {
    expect([...table.keys()].filter((id) => !(id in shipped))).toEqual([]);
  });
});

describe('the rule table reader', () => {
  it('reads a table that differs from rules.yaml as different', () => {
    const doc = `intro\n${POLICY_TABLE.heading}\n\ntext\n\n| rule id | fires when | default |\n| --- | --- | --- |\n| \`forward-to-personal-address\` | x | warn |\n\n## Modes\n`;
    const read = ruleTable(doc, POLICY_TABLE);
    expect([...read]).toEqual([['forward-to-personal-address', 'warn']]);
    expect(read.get('forward-to-personal-address')).not.toBe(shipped['forward-to-personal-address']?.action);
    expect(read.has('password-with-attachment')).toBe(false);
  });

  it('fails on a document without the section', () => {
    expect(() => ruleTable('# Nothing here\n', POLICY_TABLE)).toThrow(/no "## Rules and default actions" section/);
  });
});
