// The parts of Haraka's plugin, connection and transaction objects that the dlp plugin uses
// (Haraka ships no type declarations).
import type { DlpConfig } from '../config/load.js';
import type { Inspector } from './inspection-pool.js';
import type { RosterKeeper } from './roster-keeper.js';
import type { QuarantineAccess } from './quarantine-access.js';
import type { RelayMail } from './relay-mail.js';
import type { HarakaClientConnection, SourceGuard } from './source-guard.js';
import type { TransactionsInFlight } from './graceful-stop.js';
import type { RelayMonitoring } from './monitoring.js';
import type { QuarantineServices } from './quarantine-services.js';

/** @haraka/email-address has `address` as a getter; older Haraka had a method. */
export interface HarakaAddress {
  address: string | null | (() => string | null);
  isNull?(): boolean;
}

export function addressOf(address: HarakaAddress | null | undefined): string {
  if (!address || address.isNull?.()) return '';
  const value = typeof address.address === 'function' ? address.address() : address.address;
  return (value ?? '').toLowerCase();
}
export interface HarakaTransaction {
  uuid: string;
  header: { get_all(name: string): string[] };
  /** The header lines Haraka kept (at most connection.ini's headers.max_lines). */
  header_lines?: string[];
  cfg?: { headers?: { max_lines?: number } };
  mail_from: HarakaAddress;
  rcpt_to: HarakaAddress[];
  data_bytes: number;
  notes: Record<string, unknown>;
  message_stream: { get_data(cb: (data: Buffer) => void): void };
  add_header(name: string, value: string): void;
  remove_header(name: string): void;
  results: { add(plugin: unknown, result: Record<string, unknown>): void };
}
export interface HarakaConnection extends HarakaClientConnection {
  transaction: HarakaTransaction | null;
  lognotice(plugin: unknown, message: string): void;
  loginfo(plugin: unknown, message: string): void;
  logerror(plugin: unknown, message: string): void;
}
export type Next = (code?: number, message?: unknown) => void;

export interface DlpPlugin {
  config: { root_path: string; get(name: string, type: string, cb: () => void): unknown };
  register_hook(hook: string, method: string, priority?: number): void;
  loginfo(message: string): void;
  logerror(message: string): void;
  logcrit(message: string): void;
  /** The configuration in force (validated here; the inspection processes load the same text). */
  dlpConfig?: DlpConfig;
  inspector?: Inspector;
  /** The roster in force, and its watch on the roster files. */
  rosterKeeper?: RosterKeeper;
  quarantine?: QuarantineAccess;
  /** The review queue's web server and the retention and reminder timers. */
  quarantineServices?: QuarantineServices;
  /** The relay's own email: guidance to senders, reminders to reviewers. */
  relayMail?: RelayMail;
  logwarn(message: string): void;
  /** Who may relay through us: RCPT TO and the end of DATA check with it. */
  sourceGuard?: SourceGuard;
  /** /healthz and /metrics. */
  monitoring?: RelayMonitoring;
  /** Transactions being received or checked, which SIGTERM lets finish. */
  inFlight?: TransactionsInFlight;
  /** SIGTERM has been received. */
  stopping?: boolean;
  lognotice(message: string): void;
  /** Haraka's own per-hook timeout for this plugin, in seconds. */
  timeout: number;
  [key: string]: unknown;
}

