import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigProblem } from './errors.js';
import { compileForwardingPatterns } from './forwarding-patterns.js';
import { buildPersonalDataSettings, type PersonalDataSettings } from './personal-data.js';
import {
  buildNotificationSettings,
  buildQuarantineSettings,
  buildReviewSettings,
  parseListen,
  type NotificationSettings,
  type QuarantineSettings,
  type ReviewSettings,
} from './quarantine.js';
import { problemCollector, validate, type ProblemAt } from './problems.js';
import { buildRecipientLists } from './recipient-lists.js';
import { dlpConfigSchema, forwardingMarkersSchema, ruleDefinitionsSchema, type DlpConfigFile, type RuleDefinitionsFile } from './schema.js';
import type { AttachmentLimits, ForwardingPatterns, RecipientLists } from './settings.js';
import type { Action, Mode } from './vocabulary.js';
import { buildSources, type SourceRule } from './sources.js';
import { readYamlFile } from './yaml-file.js';

/** The shipped data directory (`rules/` at the package root). */
export const SHIPPED_RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');
/** The package's own config/: the configuration used when none is named. */
export const PACKAGE_CONFIG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../config');

/**
 * Where the configuration is: the directory given (--config), else `DLP_CONFIG_DIR`, else the
 * package's config/. A trust keeps its own outside the package (/etc/dlp), so that an upgrade
 * never touches it.
 */
export function configDirOf(given?: string): string {
  return resolve(given ?? process.env['DLP_CONFIG_DIR'] ?? PACKAGE_CONFIG_DIR);
}

/**
 * Where the relay keeps what it writes (the quarantine database and key, the outbox, Haraka's
 * queue): the directory given (--data), else `DLP_DATA_DIR`, else `data/` beside the config
 * directory.
 */
export function dataDirOf(configDir: string, given?: string): string {
  return resolve(given ?? process.env['DLP_DATA_DIR'] ?? resolve(configDir, '../data'));
}

export const CONFIG_FILE_NAME = 'dlp.yaml';

/** A rule as the trust's configuration makes it: shipped definition with overrides applied. */
export interface ResolvedRule {
  id: string;
  description: string;
  action: Action;
  clause: string;
  /** The trust set the clause in dlp.yaml (else the shipped, neutral one is quoted). */
  clauseSetByTrust: boolean;
  reason: string;
  guidance: string;
  thresholds: Record<string, number>;
}

/** Everything the engine and the adapters need, validated and compiled. */
export interface DlpConfig {
  configDir: string;
  /** Where the quarantine, its key and the outbox live unless dlp.yaml names other places. */
  dataDir: string;
  /** dlp.yaml's path as error messages show it. */
  configFile: string;
  /** The line of a key in dlp.yaml, for problems found after loading (templates that do not render, say). */
  lineOf(key: ReadonlyArray<string | number>): number | undefined;
  /** dlp.yaml exactly as loaded, so that an inspection worker process can load the same configuration. */
  configText: string;
  mode: Mode;
  organisation: { name: string; internalDomains: string[]; dpoContact?: string; policyUrl?: string };
  recipientLists: RecipientLists;
  /** Roster CSV files, resolved against the config directory (read by the roster module). */
  rosterFiles: string[];
  rules: ResolvedRule[];
  forwarding: ForwardingPatterns;
  personalData: PersonalDataSettings;
  attachments: AttachmentLimits;
  inspection: { timeoutMs: number; maxWaitMs: number; maxHtmlChars: number; workers: number };
  /** Who may relay through us; checked on every connection and message. */
  sources: SourceRule[];
  /** Resolvers for DKIM keys and doctor's checks; no servers: the system's. */
  dns: { servers?: string[]; timeoutMs: number };
  /** The next hop for delivered mail; undefined: by MX. */
  delivery: { smarthost?: { host: string; port: number } };
  monitoring: { health: boolean; metrics: boolean; rosterMaxAgeMs: number; outboxMaxPending: number; certificateMinDays: number };
  quarantine: QuarantineSettings;
  review: ReviewSettings;
  /** How the relay sends its own emails; undefined when not configured. */
  notifications?: NotificationSettings;
}

export interface LoadConfigOptions {
  rulesDir?: string;
  /** The text of dlp.yaml, when the caller has it already (inspection workers get the exact text the relay validated). */
  configText?: string;
  /** The data directory (default: see dataDirOf). */
  dataDir?: string;
}

/**
 * Reads and validates `<configDir>/dlp.yaml` and the shipped rules. Throws a ConfigError that
 * names every problem (file, line, key) rather than running with a guess.
 */
export function loadConfig(configDir: string, options: LoadConfigOptions = {}): DlpConfig {
  const rulesDir = options.rulesDir ?? SHIPPED_RULES_DIR;
  const dir = resolve(configDir);
  const dataDir = dataDirOf(dir, options.dataDir);
  const configName = displayPath(join(dir, CONFIG_FILE_NAME));
  const configYaml = readYamlFile(join(dir, CONFIG_FILE_NAME), configName, options.configText);
  const file = validate(configYaml, dlpConfigSchema, configName);

  const rulesPath = join(rulesDir, 'rules.yaml');
  const definitions = validate(readYamlFile(rulesPath, displayPath(rulesPath)), ruleDefinitionsSchema, displayPath(rulesPath));
  const markersPath = join(rulesDir, 'forwarding.yaml');
  const markers = validate(readYamlFile(markersPath, displayPath(markersPath)), forwardingMarkersSchema, displayPath(markersPath));

  const problems: ConfigProblem[] = [];
  const at = problemCollector(configYaml, configName, problems);
  const shippedAt = (path: string): ProblemAt => problemCollector(undefined, displayPath(path), problems);

  const rules = resolveRules(definitions, file.rules, at);
  const recipientLists = buildRecipientLists(file, rulesDir, at, shippedAt);
  const forwarding = compileForwardingPatterns(markers, file, at, shippedAt(markersPath));
  const personalData = buildPersonalDataSettings(file, rulesDir, at, displayPath);
  if (file.attachments.max_ms !== undefined && file.attachments.max_ms >= file.inspection.timeout_ms) {
    at(['attachments', 'max_ms'], `must be less than inspection.timeout_ms (${file.inspection.timeout_ms}), so that a slow attachment is reported rather than the message timing out`);
  }
  const reviewPort = file.review.listen === false ? 1 : Number(file.review.listen.slice(file.review.listen.lastIndexOf(':') + 1));
  if (reviewPort < 1 || reviewPort > 65535) at(['review', 'listen'], 'the port must be 1 to 65535');
  const sources = buildSources(file.sources, { configDir: dir, rulesDir, internalDomains: file.organisation.internal_domains }, at);
  const notifications = buildNotificationSettings(file, dir, dataDir, join(rulesDir, 'notifications'), at);
  if (problems.length > 0) throw new ConfigError(problems);

  const rosterFiles = [...(file.roster?.file ? [file.roster.file] : []), ...(file.roster?.files ?? [])].map((f) => resolve(dir, f));
  return {
    configDir: dir,
    dataDir,
    configFile: configName,
    lineOf: (key) => configYaml.lineOf(key),
    configText: configYaml.text,
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
    personalData,
    attachments: {
      maxMessageBytes: file.attachments.max_message_bytes,
      maxAttachmentBytes: file.attachments.max_attachment_bytes,
      maxExtractedBytes: file.attachments.max_extracted_bytes,
      maxDepth: file.attachments.max_depth,
      maxEntries: file.attachments.max_entries,
      maxCompressionRatio: file.attachments.max_compression_ratio,
      maxMillis: file.attachments.max_ms ?? Math.floor(file.inspection.timeout_ms / 2),
    },
    inspection: {
      timeoutMs: file.inspection.timeout_ms,
      maxWaitMs: file.inspection.max_wait_ms ?? file.inspection.timeout_ms,
      maxHtmlChars: file.inspection.max_html_chars,
      workers: file.inspection.workers ?? Math.max(1, availableParallelism()),
    },
    sources,
    dns: { ...(file.dns.servers ? { servers: file.dns.servers } : {}), timeoutMs: file.dns.timeout_ms },
    delivery: file.delivery.smarthost ? { smarthost: parseListen(file.delivery.smarthost.slice('smtp://'.length)) } : {},
    monitoring: {
      health: file.monitoring.health,
      metrics: file.monitoring.metrics,
      rosterMaxAgeMs: file.monitoring.roster_max_age_hours * 3_600_000,
      outboxMaxPending: file.monitoring.outbox_max_pending,
      certificateMinDays: file.monitoring.certificate_min_days,
    },
    quarantine: buildQuarantineSettings(file, dir, dataDir),
    review: buildReviewSettings(file),
    ...(notifications ? { notifications } : {}),
  };
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function resolveRules(
  definitions: RuleDefinitionsFile,
  overrides: DlpConfigFile['rules'],
  at: ProblemAt,
): ResolvedRule[] {
  for (const [id, override] of Object.entries(overrides)) {
    const definition = definitions[id];
    if (!definition) {
      at(['rules', id], `no such rule (rules are: ${Object.keys(definitions).join(', ')})`);
      continue;
    }
    const known = Object.keys(definition.thresholds ?? {});
    for (const name of Object.keys(override.thresholds ?? {})) {
      if (!known.includes(name)) at(['rules', id, 'thresholds', name], `this rule has ${known.length ? `thresholds ${known.join(', ')}` : 'no thresholds'}`);
    }
  }
  return Object.entries(definitions).map(([id, definition]) => {
    const override = overrides[id] ?? {};
    return {
      id,
      description: definition.description,
      action: override.action ?? definition.action,
      clause: override.clause ?? definition.clause,
      clauseSetByTrust: override.clause !== undefined,
      reason: override.reason ?? definition.reason,
      guidance: override.guidance ?? definition.guidance,
      thresholds: { ...definition.thresholds, ...override.thresholds },
    };
  });
}
