import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { DomainList, parseDomainEntry, parseDomainListText } from '../engine/domain-list.js';
import type { RecipientLists } from '../engine/recipients.js';
import type { Action, Mode } from '../engine/types.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { compileRe2, type CompiledPattern } from './patterns.js';
import {
  dlpConfigSchema,
  forwardingMarkersSchema,
  ruleDefinitionsSchema,
  type DlpConfigFile,
  type ForwardingMarkersFile,
} from './schema.js';
import { readYamlFile, type YamlFile } from './yaml-file.js';

/** The shipped data directory (`rules/` at the package root). */
export const SHIPPED_RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');

export const CONFIG_FILE_NAME = 'dlp.yaml';

/** A rule as the trust's configuration makes it: shipped definition with overrides applied. */
export interface ResolvedRule {
  id: string;
  description: string;
  action: Action;
  clause: string;
  reason: string;
  guidance: string;
  thresholds: Record<string, number>;
}

/** A header whose presence (or, with a pattern, whose value) is evidence. */
export interface HeaderMarker {
  id: string;
  /** Lower-case header name. */
  header: string;
  /** The header name as the data file writes it, for messages. */
  label: string;
  /** Tested against the value when set; without it, presence is enough. */
  value?: CompiledPattern;
}

export interface ForwardingPatterns {
  forwardPrefixes: Set<string>;
  replyPrefixes: Set<string>;
  separators: CompiledPattern[];
  quoteSeparators: CompiledPattern[];
  htmlMarkers: CompiledPattern[];
  headerBlockFields: Record<'from' | 'sent' | 'to' | 'cc' | 'subject', string[]>;
  forwardHeaders: HeaderMarker[];
  autoForwardHeaders: HeaderMarker[];
  autoForwardEnvelopeSenders: CompiledPattern[];
}

/** Everything the engine and the adapters need, validated and compiled. */
export interface DlpConfig {
  configDir: string;
  mode: Mode;
  organisation: { name: string; internalDomains: string[]; dpoContact?: string; policyUrl?: string };
  recipientLists: RecipientLists;
  /** Roster CSV files, resolved against the config directory (read by the roster module). */
  rosterFiles: string[];
  rules: ResolvedRule[];
  forwarding: ForwardingPatterns;
  inspection: { timeoutMs: number; maxHtmlChars: number };
}

export interface LoadConfigOptions {
  rulesDir?: string;
}

/**
 * Reads and validates `<configDir>/dlp.yaml` and the shipped rules. Throws a ConfigError that
 * names every problem (file, line, key) rather than running with a guess.
 */
export function loadConfig(configDir: string, options: LoadConfigOptions = {}): DlpConfig {
  const rulesDir = options.rulesDir ?? SHIPPED_RULES_DIR;
  const dir = resolve(configDir);
  const configName = displayPath(join(dir, CONFIG_FILE_NAME));
  const configYaml = readYamlFile(join(dir, CONFIG_FILE_NAME), configName);
  const file = validate(configYaml, dlpConfigSchema, configName);

  const rulesName = displayPath(join(rulesDir, 'rules.yaml'));
  const definitions = validate(readYamlFile(join(rulesDir, 'rules.yaml'), rulesName), ruleDefinitionsSchema, rulesName);
  const markersName = displayPath(join(rulesDir, 'forwarding.yaml'));
  const markers = validate(
    readYamlFile(join(rulesDir, 'forwarding.yaml'), markersName),
    forwardingMarkersSchema,
    markersName,
  );

  const problems: ConfigProblem[] = [];
  const at = (key: (string | number)[], problem: string): void => {
    const line = configYaml.lineOf(key);
    problems.push({ file: configName, key: key.join('.'), problem, ...(line ? { line } : {}) });
  };

  const rules = resolveRules(definitions, file.rules, at);
  const recipientLists = buildRecipientLists(file, rulesDir, at);
  const forwarding = compileForwarding(markers, markersName, file, at, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  const rosterFiles = [...(file.roster?.file ? [file.roster.file] : []), ...(file.roster?.files ?? [])].map((f) =>
    resolve(dir, f),
  );
  return {
    configDir: dir,
    mode: file.mode,
    organisation: {
      name: file.organisation.name,
      internalDomains: file.organisation.internal_domains,
      ...(file.organisation.dpo_contact ? { dpoContact: file.organisation.dpo_contact } : {}),
      ...(file.organisation.policy_url ? { policyUrl: file.organisation.policy_url } : {}),
    },
    recipientLists,
    rosterFiles,
    rules,
    forwarding,
    inspection: { timeoutMs: file.inspection.timeout_ms, maxHtmlChars: file.inspection.max_html_chars },
  };
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function validate<S extends z.ZodType>(yaml: YamlFile, schema: S, name: string): z.infer<S> {
  const result = schema.safeParse(yaml.data);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      let problem = issue.message;
      if (issue.code === 'unrecognized_keys') {
        path = [...path, issue.keys[0] ?? ''];
        problem = `unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''} (check the spelling against README.md)`;
      }
      const line = yaml.lineOf(path);
      return { file: name, key: path.join('.'), problem, ...(line ? { line } : {}) };
    }),
  );
}

type ProblemAt = (key: (string | number)[], problem: string) => void;

function resolveRules(
  definitions: z.infer<typeof ruleDefinitionsSchema>,
  overrides: DlpConfigFile['rules'],
  at: ProblemAt,
): ResolvedRule[] {
  for (const [id, override] of Object.entries(overrides)) {
    const definition = definitions[id];
    if (!definition) {
      at(['rules', id], `no such rule (rules are: ${Object.keys(definitions).join(', ')})`);
      continue;
    }
    for (const name of Object.keys(override.thresholds ?? {})) {
      if (!(name in (definition.thresholds ?? {}))) {
        const known = Object.keys(definition.thresholds ?? {});
        at(['rules', id, 'thresholds', name], `this rule has ${known.length ? `thresholds ${known.join(', ')}` : 'no thresholds'}`);
      }
    }
  }
  return Object.entries(definitions).map(([id, definition]) => {
    const override = overrides[id] ?? {};
    return {
      id,
      description: definition.description,
      action: override.action ?? definition.action,
      clause: override.clause ?? definition.clause,
      reason: override.reason ?? definition.reason,
      guidance: override.guidance ?? definition.guidance,
      thresholds: { ...definition.thresholds, ...override.thresholds },
    };
  });
}

function readDomainFile(path: string): string[] {
  try {
    return parseDomainListText(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ConfigError([{ file: displayPath(path), key: '', problem: 'cannot be read' }], { cause });
  }
}

function buildRecipientLists(file: DlpConfigFile, rulesDir: string, at: ProblemAt): RecipientLists {
  const checked = (key: string[], entries: readonly string[]): string[] =>
    entries.filter((entry, i) => {
      if (parseDomainEntry(entry)) return true;
      at([...key, i], `"${entry}" is not a domain or a *.domain wildcard`);
      return false;
    });
  const r = file.recipients;
  const internal = new DomainList(checked(['organisation', 'internal_domains'], file.organisation.internal_domains));
  const personalEntries = [
    ...checked(['recipients', 'personal_domains'], r.personal_domains ?? readDomainFile(join(rulesDir, 'personal-domains.txt'))),
    ...checked(['recipients', 'extra_personal_domains'], r.extra_personal_domains ?? []),
  ];
  const personal = new DomainList(personalEntries);
  const trustedSources: Array<[string[], readonly string[]]> = [
    [['recipients', 'trusted_domains'], r.trusted_domains ?? readDomainFile(join(rulesDir, 'trusted-domains.txt'))],
    [['recipients', 'extra_trusted_domains'], r.extra_trusted_domains ?? []],
  ];
  const trustedEntries: string[] = [];
  for (const [key, entries] of trustedSources) {
    checked(key, entries).forEach((entry) => {
      // A trusted entry that covers a consumer mailbox provider would let personal mail through.
      const single = new DomainList([entry]);
      const covered = personalEntries.find((p) => single.has(p.replace(/^\*\./, '')));
      if (covered) at([...key, entries.indexOf(entry)], `"${entry}" covers the personal mailbox domain ${covered}; personal mailboxes cannot be trusted`);
      else trustedEntries.push(entry);
    });
  }
  return { internal, personal, trusted: new DomainList(trustedEntries) };
}

function compileForwarding(
  markers: ForwardingMarkersFile,
  markersName: string,
  file: DlpConfigFile,
  at: ProblemAt,
  problems: ConfigProblem[],
): ForwardingPatterns {
  const compileList = (
    entries: ReadonlyArray<{ id: string; pattern: string }>,
    flags: string,
    report: (index: number, problem: string) => void,
  ): CompiledPattern[] =>
    entries.flatMap((entry, i) => {
      const regex = compileRe2(entry.pattern, flags);
      if ('error' in regex) {
        report(i, `pattern ${JSON.stringify(entry.pattern)} is not valid RE2 syntax: ${regex.error}`);
        return [];
      }
      return [{ id: entry.id, source: entry.pattern, regex }];
    });
  const shipped = (key: string) => (i: number, problem: string) =>
    problems.push({ file: markersName, key: `${key}.${i}.pattern`, problem });

  const extraSeparators = compileList(file.forwarding.extra_separators ?? [], 'i', (i, problem) =>
    at(['forwarding', 'extra_separators', i, 'pattern'], problem),
  );
  const headerMarkers = (entries: ForwardingMarkersFile['forward_headers'], key: string): HeaderMarker[] =>
    entries.map((entry, i) => {
      const [value] = entry.pattern ? compileList([{ id: entry.id, pattern: entry.pattern }], 'i', (_, problem) => shipped(key)(i, problem)) : [];
      return { id: entry.id, header: entry.header.toLowerCase(), label: entry.header, ...(value ? { value } : {}) };
    });
  const upper = (words: readonly string[]) => new Set(words.map((w) => w.toUpperCase()));
  return {
    forwardPrefixes: upper([...markers.subject_prefixes.forward, ...(file.forwarding.extra_subject_prefixes?.forward ?? [])]),
    replyPrefixes: upper([...markers.subject_prefixes.reply, ...(file.forwarding.extra_subject_prefixes?.reply ?? [])]),
    separators: [...compileList(markers.separators, 'i', shipped('separators')), ...extraSeparators],
    quoteSeparators: compileList(markers.quote_separators, 'i', shipped('quote_separators')),
    htmlMarkers: compileList(markers.html_markers, 'i', shipped('html_markers')),
    headerBlockFields: markers.header_block_fields,
    forwardHeaders: headerMarkers(markers.forward_headers, 'forward_headers'),
    autoForwardHeaders: headerMarkers(markers.auto_forward_headers, 'auto_forward_headers'),
    autoForwardEnvelopeSenders: compileList(markers.auto_forward_envelope_senders, 'i', shipped('auto_forward_envelope_senders')),
  };
}
