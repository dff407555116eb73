/** The quarantine, review queue and notification settings, resolved against the config directory. */
import { isAbsolute, resolve } from 'node:path';
import type { DlpConfigFile } from './schema.js';

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
  submission: { host: string; port: number; secure: boolean; user?: string; passwordFile?: string };
}

const HOUR = 3_600_000;

export function buildQuarantineSettings(file: DlpConfigFile, dir: string): QuarantineSettings {
  const { quarantine } = file;
  const database = quarantine.database.startsWith('sqlite:')
    ? `sqlite:${resolvePath(dir, quarantine.database.slice('sqlite:'.length))}`
    : quarantine.database;
  return {
    database,
    keyFile: resolvePath(dir, quarantine.key_file),
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

export function buildNotificationSettings(file: DlpConfigFile, dir: string): NotificationSettings | undefined {
  const notifications = file.notifications;
  if (!notifications) return undefined;
  const { host, port, secure, user, password_file } = notifications.submission;
  return {
    from: notifications.from,
    submission: {
      host,
      port,
      secure,
      ...(user ? { user } : {}),
      ...(password_file ? { passwordFile: resolvePath(dir, password_file) } : {}),
    },
  };
}

function parseListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(colon + 1)) };
}

function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}
