/** The quarantine, review queue and notification settings, resolved against the config directory. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { readTemplateSources } from './notice-templates.js';
import type { ProblemAt } from './problems.js';
import type { DlpConfigFile } from './schema.js';
import type { RetrySettings, TemplateSources } from './settings.js';
import type { NoticeOutcome } from './vocabulary.js';

export interface QuarantineSettings {
  /** `sqlite:<absolute file>` or a `postgres://` URL. */
  database: string;
  keyFile: string;
  retentionMs: number;
  overdueAfterMs: number;
  reminderEveryMs: number;
  /** The next hop for released messages; undefined: by MX. */
  releaseVia?: { host: string; port: number };
}

export interface ReviewSettings {
  /** Where the review queue listens; undefined when this relay serves none. */
  listen?: { host: string; port: number };
  publicUrl?: string;
  /** Cookies are marked Secure: reviewers reach the queue over https. */
  secureCookies: boolean;
  sessionTtlMs: number;
  trustedUserHeader?: string;
  trustedProxies: string[];
}

export interface NotificationSettings {
  from: string;
  /** The trust's submission server; undefined: the relay's own outbound queue. */
  submission?: { host: string; port: number; secure: boolean; user?: string; passwordFile?: string; heloName: string };
  notifySenders: NoticeOutcome[];
  /** The templates in force: shipped, with the trust's files in their place (compiled and checked by the notify layer). */
  templates: TemplateSources;
  /** The trust's template files that replace shipped ones (for the start-up log). */
  overriddenTemplates: string[];
  nullReturnPath: boolean;
  outboxDir: string;
  retry: RetrySettings;
}

const HOUR = 3_600_000;

/** Paths written in dlp.yaml are relative to its directory; what is not written lives in the data directory. */
export function buildQuarantineSettings(file: DlpConfigFile, dir: string, dataDir: string): QuarantineSettings {
  const { quarantine } = file;
  const configured = quarantine.database ?? `sqlite:${join(dataDir, 'quarantine.sqlite')}`;
  const database = configured.startsWith('sqlite:') ? `sqlite:${resolvePath(dir, configured.slice('sqlite:'.length))}` : configured;
  return {
    database,
    keyFile: quarantine.key_file ? resolvePath(dir, quarantine.key_file) : join(dataDir, 'quarantine.key'),
    retentionMs: quarantine.retention_days * 24 * HOUR,
    overdueAfterMs: quarantine.overdue_after_hours * HOUR,
    reminderEveryMs: quarantine.reminder_every_hours * HOUR,
    ...(quarantine.release_via ? { releaseVia: parseListen(quarantine.release_via.slice('smtp://'.length)) } : {}),
  };
}

export function buildReviewSettings(file: DlpConfigFile): ReviewSettings {
  const { review } = file;
  const listen = review.listen === false ? undefined : parseListen(review.listen);
  return {
    ...(listen ? { listen } : {}),
    ...(review.public_url ? { publicUrl: review.public_url.replace(/\/+$/, '') } : {}),
    secureCookies: review.public_url?.startsWith('https:') ?? false,
    sessionTtlMs: review.session_hours * HOUR,
    ...(review.trusted_user_header ? { trustedUserHeader: review.trusted_user_header.toLowerCase() } : {}),
    trustedProxies: review.trusted_proxies,
  };
}

/** The notification settings, with the template files read; a problem is reported through `problem` and gives undefined. */
export function buildNotificationSettings(
  file: DlpConfigFile,
  dir: string,
  dataDir: string,
  shippedTemplatesDir: string,
  problem: ProblemAt,
): NotificationSettings | undefined {
  const notifications = file.notifications;
  if (!notifications) return undefined;
  let templates: { sources: TemplateSources; overridden: string[] };
  try {
    templates = readTemplateSources(shippedTemplatesDir, notifications.templates ? resolvePath(dir, notifications.templates) : undefined);
  } catch (error) {
    problem(['notifications', 'templates'], error instanceof Error ? error.message : String(error));
    return undefined;
  }
  const submission = notifications.submission;
  return {
    from: notifications.from,
    ...(submission
      ? {
          submission: {
            host: submission.host,
            port: submission.port,
            secure: submission.secure,
            ...(submission.user ? { user: submission.user } : {}),
            ...(submission.password_file ? { passwordFile: resolvePath(dir, submission.password_file) } : {}),
            heloName: relayName(dir),
          },
        }
      : {}),
    notifySenders: notifications.notify_senders,
    templates: templates.sources,
    overriddenTemplates: templates.overridden,
    nullReturnPath: notifications.null_return_path,
    outboxDir: notifications.outbox ? resolvePath(dir, notifications.outbox) : join(dataDir, 'outbox'),
    retry: {
      firstDelayMs: notifications.retry.first_after_seconds * 1000,
      maxDelayMs: notifications.retry.max_delay_minutes * 60_000,
      giveUpAfterMs: notifications.retry.give_up_after_hours * HOUR,
    },
  };
}

export function parseListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(colon + 1)) };
}

function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

/** The relay's own name, as Haraka greets with it (config/me), else the machine's: what it says in EHLO to the submission server. */
function relayName(dir: string): string {
  try {
    const name = readFileSync(join(dir, 'me'), 'utf8').trim();
    if (name) return name;
  } catch {
    // no config/me: the machine's name, as Haraka itself would use
  }
  return hostname();
}
