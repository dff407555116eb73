import { z } from 'zod';
import { sourcesSchema } from './sources.js';
import { ACTIONS, NOTICE_OUTCOMES } from './vocabulary.js';

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const domainList = z.array(nonEmpty);
const patternEntry = z.strictObject({ id: nonEmpty, label: nonEmpty.optional(), pattern: nonEmpty });
// Subject prefixes are words: the subject parser reads 1 to 10 letters before the colon.
const prefixWord = z.string().regex(/^\p{L}{1,10}$/u, 'must be a word of 1 to 10 letters (as written before the colon)');

const categoryName = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'category names are lower-case words joined by hyphens');

const headerMarker = z.strictObject({ id: nonEmpty, header: nonEmpty, pattern: nonEmpty.optional() });

/** What a trust may set for one rule in config/dlp.yaml. */
export const ruleOverrideSchema = z.strictObject({
  action: z.enum(ACTIONS).optional(),
  clause: nonEmpty.optional(),
  reason: nonEmpty.optional(),
  guidance: nonEmpty.optional(),
  thresholds: z.record(z.string(), z.number().int().positive()).optional(),
});

/** config/dlp.yaml: the trust's own configuration, read by the relay and the CLI alike. */
export const dlpConfigSchema = z.strictObject({
  mode: z.enum(['enforce', 'monitor']).default('enforce'),
  organisation: z.strictObject({
    name: nonEmpty,
    internal_domains: domainList.min(1, 'list at least one of the trust\'s own mail domains'),
    dpo_contact: nonEmpty.optional(),
    policy_url: nonEmpty.optional(),
  }),
  /** Who may send mail through the relay (see ./sources.ts); without it, only this machine. */
  sources: sourcesSchema.optional(),
  /** The resolvers the relay asks (DKIM keys of Google Workspace mail; dlp doctor's SPF and MX checks); default: the system's. */
  dns: z
    .strictObject({
      servers: z
        .array(z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]+)(:\d{1,5})?$/, 'must be an IP address, with :port if not 53 ([::1]:5353 for IPv6)'))
        .min(1)
        .optional(),
      timeout_ms: z.number().int().min(100).max(30_000).default(5_000),
    })
    .default({ timeout_ms: 5_000 }),
  recipients: z
    .strictObject({
      trusted_domains: domainList.optional(),
      extra_trusted_domains: domainList.optional(),
      personal_domains: domainList.min(1, 'list at least one domain, or remove the key to use the shipped list').optional(),
      extra_personal_domains: domainList.optional(),
    })
    .default({}),
  roster: z
    .strictObject({
      file: nonEmpty.optional(),
      files: z.array(nonEmpty).optional(),
    })
    .optional(),
  personal_data: z
    .strictObject({
      /** How close (in characters) a term, a date or an address must be to a pupil's name or identifier to count. */
      proximity_chars: z.number().int().min(20).max(5_000).default(250),
      special_category: z
        .strictObject({
          /** More terms, by category (an existing one from rules/special-category.yaml, or a new one). */
          extra_terms: z.record(categoryName, z.array(nonEmpty)).optional(),
          /** Shipped terms this trust does not want matched (as written in rules/special-category.yaml). */
          ignore_terms: z.array(nonEmpty).optional(),
        })
        .default({}),
    })
    .default({ proximity_chars: 250, special_category: {} }),
  rules: z.record(z.string(), ruleOverrideSchema).default({}),
  forwarding: z
    .strictObject({
      extra_separators: z.array(patternEntry).optional(),
      extra_subject_prefixes: z
        .strictObject({ forward: z.array(prefixWord).optional(), reply: z.array(prefixWord).optional() })
        .optional(),
    })
    .default({}),
  attachments: z
    .strictObject({
      max_message_bytes: z.number().int().positive().default(50 * 1024 * 1024),
      max_attachment_bytes: z.number().int().positive().default(25 * 1024 * 1024),
      max_extracted_bytes: z.number().int().positive().default(100 * 1024 * 1024),
      max_depth: z.number().int().min(1).max(20).default(5),
      max_entries: z.number().int().min(1).default(1_000),
      max_compression_ratio: z.number().positive().default(100),
      /** Time for reading one message's attachments; default half of inspection.timeout_ms. */
      max_ms: z.number().int().min(1).optional(),
    })
    .default({
      max_message_bytes: 50 * 1024 * 1024,
      max_attachment_bytes: 25 * 1024 * 1024,
      max_extracted_bytes: 100 * 1024 * 1024,
      max_depth: 5,
      max_entries: 1_000,
      max_compression_ratio: 100,
    }),
  quarantine: z
    .strictObject({
      /** `sqlite:<file>` (relative to the config directory) or a `postgres://` URL (password from PGPASSWORD or ~/.pgpass); default: quarantine.sqlite in the data directory. */
      database: z
        .string()
        .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:<file> or a postgres:// URL')
        .optional(),
      /** AES-256 key that seals held messages; made on first start if missing (default: quarantine.key in the data directory). Every relay sharing a database needs the same file. */
      key_file: nonEmpty.optional(),
      /** Decided items keep their content this long, then only the record and the audit trail remain. */
      retention_days: z.number().int().min(1).max(3650).default(30),
      /** A held item waiting longer than this is overdue: marked in the queue, and reviewers are reminded by email. */
      overdue_after_hours: z.number().positive().max(24 * 90).default(24),
      reminder_every_hours: z.number().positive().max(24 * 30).default(24),
      /** Where released messages go (smtp://host:port, the smarthost), through Haraka's queue; default: by MX, as Haraka delivers. */
      release_via: z.string().regex(/^smtp:\/\/[^:/\s]+:\d{1,5}$/, 'must be smtp://host:port').optional(),
    })
    .default({
      retention_days: 30,
      overdue_after_hours: 24,
      reminder_every_hours: 24,
    }),
  review: z
    .strictObject({
      /** host:port of the DPO's review queue, or false for none on this relay. */
      listen: z.union([z.literal(false), z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8025')]).default('127.0.0.1:8025'),
      /** The address reviewers use (https://… behind a TLS proxy): links in reminders, and Secure cookies when https. */
      public_url: z.url({ protocol: /^https?$/ }).optional(),
      session_hours: z.number().positive().max(24 * 7).default(8),
      /** Sign-in by a reverse proxy (Microsoft 365 / Google through an auth proxy): the header that carries the reviewer's address. */
      trusted_user_header: nonEmpty.optional(),
      /** Addresses of the proxies allowed to set that header. */
      trusted_proxies: z.array(nonEmpty).default(['127.0.0.1', '::1']),
    })
    .default({ listen: '127.0.0.1:8025', session_hours: 8, trusted_proxies: ['127.0.0.1', '::1'] }),
  notifications: z
    .strictObject({
      /** From address of the relay's own emails (guidance to senders, reminders to reviewers). */
      from: nonEmpty.regex(/^(?:[^<>]*<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)$/, 'must be an address, or a name and <address>'),
      /** The trust's mail server that accepts them (submission). Without it they go through the relay's own outbound queue. */
      submission: z
        .strictObject({
          host: nonEmpty,
          port: z.number().int().min(1).max(65535).default(587),
          /** Implicit TLS (port 465); otherwise STARTTLS when offered. */
          secure: z.boolean().default(false),
          user: nonEmpty.optional(),
          /** File holding the password (never the password itself in this file). */
          password_file: nonEmpty.optional(),
        })
        .optional(),
      /** Which outcomes the sender is emailed about. */
      notify_senders: z.array(z.enum(NOTICE_OUTCOMES)).default([...NOTICE_OUTCOMES]),
      /** A directory of the trust's own templates, each replacing the shipped file of the same name (rules/notifications/). */
      templates: nonEmpty.optional(),
      /** Guidance is sent with MAIL FROM:<> so that nothing bounces back into a loop; false if the submission server insists on a sender. */
      null_return_path: z.boolean().default(true),
      /** Where emails wait until a transport takes them (kept across restarts); default: outbox in the data directory. */
      outbox: nonEmpty.optional(),
      retry: z
        .strictObject({
          first_after_seconds: z.number().positive().max(3600).default(60),
          max_delay_minutes: z.number().positive().max(24 * 60).default(60),
          give_up_after_hours: z.number().positive().max(24 * 14).default(48),
        })
        .default({ first_after_seconds: 60, max_delay_minutes: 60, give_up_after_hours: 48 }),
    })
    .optional(),
  /**
   * Where delivered mail goes: by MX from Haraka's queue (default), or every message to the
   * trust's smarthost, also from Haraka's queue (retried there; TLS when the smarthost offers
   * it, or required with tls.ini's [outbound] force_tls_hosts).
   */
  delivery: z
    .strictObject({
      smarthost: z.string().regex(/^smtp:\/\/[^:/\s]+:\d{1,5}$/, 'must be smtp://host:port').optional(),
    })
    .default({}),
  /** GET /healthz and GET /metrics on the review queue's listener (review.listen). */
  monitoring: z
    .strictObject({
      health: z.boolean().default(true),
      metrics: z.boolean().default(true),
      /** /healthz fails when the roster in force was exported longer ago than this (0: never). */
      roster_max_age_hours: z.number().min(0).max(24 * 365).default(192),
      /** /healthz fails when more of the relay's own emails than this wait in the outbox. */
      outbox_max_pending: z.number().int().min(1).default(200),
      /** /healthz fails when the TLS certificate expires within this many days (the log and dlp doctor warn from 14). */
      certificate_min_days: z.number().int().min(0).max(90).default(7),
    })
    .default({ health: true, metrics: true, roster_max_age_hours: 192, outbox_max_pending: 200, certificate_min_days: 7 }),
  inspection: z
    .strictObject({
      timeout_ms: z.number().int().min(100).max(300_000).default(20_000),
      /** How long a message may wait for a free inspection process before it gets 451 (default timeout_ms). */
      max_wait_ms: z.number().int().min(100).max(300_000).optional(),
      max_html_chars: z.number().int().positive().default(5_000_000),
      /** Inspection worker processes in the relay; default one per core. */
      workers: z.number().int().min(1).max(64).optional(),
    })
    .default({ timeout_ms: 20_000, max_html_chars: 5_000_000 }),
});
export type DlpConfigFile = z.infer<typeof dlpConfigSchema>;

/** rules/rules.yaml: the shipped rule definitions. */
export const ruleDefinitionsSchema = z.record(
  z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'rule ids are lower-case words joined by hyphens'),
  z.strictObject({
    description: nonEmpty,
    action: z.enum(ACTIONS),
    clause: nonEmpty,
    reason: nonEmpty,
    guidance: nonEmpty,
    thresholds: z.record(z.string(), z.number().int().positive()).optional(),
  }),
);
export type RuleDefinitionsFile = z.infer<typeof ruleDefinitionsSchema>;

/** rules/forwarding.yaml: what clients and servers write when they forward. */
export const forwardingMarkersSchema = z.strictObject({
  subject_prefixes: z.strictObject({ forward: z.array(prefixWord), reply: z.array(prefixWord) }),
  separators: z.array(patternEntry),
  quote_separators: z.array(patternEntry),
  html_markers: z.array(patternEntry),
  header_block_fields: z.strictObject({
    from: z.array(nonEmpty).min(1),
    sent: z.array(nonEmpty).min(1),
    to: z.array(nonEmpty).min(1),
    cc: z.array(nonEmpty).min(1),
    subject: z.array(nonEmpty).min(1),
  }),
  forward_headers: z.array(headerMarker),
  auto_forward_headers: z.array(headerMarker),
  auto_forward_envelope_senders: z.array(patternEntry),
});
export type ForwardingMarkersFile = z.infer<typeof forwardingMarkersSchema>;

/** rules/special-category.yaml: sensitive terms by category. */
export const specialCategorySchema = z.record(categoryName, z.array(nonEmpty).min(1));
