/**
 * The Haraka adapter. plugins/dlp.js re-exports this module; Haraka calls `register` with
 * `this` bound to the plugin object, and the hooks with (next, connection). It only does
 * I/O: decisions live in the engine, in ./smtp-reply.ts and in ../sources/. The hooks that
 * need more than a few lines have modules of their own: ./inspect-message.ts (data_post) and
 * ./stop-hooks.ts (SIGTERM).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import constants from 'haraka-constants';
import DSN from 'haraka-dsn';
import { CONFIG_FILE_NAME, type DlpConfig } from '../config/load.js';
import type { SourceRule } from '../config/sources.js';
import { describeSource } from '../sources/connection.js';
import { checkDeployment, readPluginList } from './deployment-checks.js';
import { describeError } from './describe-error.js';
import { TransactionsInFlight } from './graceful-stop.js';
import { RELEASE_VIA_NOTE } from './haraka-outbound.js';
import { addressOf, type DlpPlugin, type HarakaConnection, type Next } from './haraka-types.js';
import { DELIVERED_NOTICE_NOTE, HELD_NOTE, HOLD_WRITE_MS, type PendingNotice } from './inspect-message.js';
import { InspectionPool } from './inspection-pool.js';
import { RelayMonitoring } from './monitoring.js';
import { QuarantineAccess } from './quarantine-access.js';
import { startQuarantineServices } from './quarantine-services.js';
import { loadRelayConfig } from './relay-config.js';
import { RelayMail } from './relay-mail.js';
import { RosterKeeper, type RelayLog } from './roster-keeper.js';
import { SourceGuard } from './source-guard.js';
import { SpentSignatures } from './spent-signatures.js';
import { stopGracefully } from './stop-hooks.js';

export { inspect_message } from './inspect-message.js';
export { refuse_while_stopping, track_transaction, untrack_transaction } from './stop-hooks.js';

export function register(this: DlpPlugin): void {
  // A configuration or roster that does not load stops Haraka from starting: never run with a guess.
  const plugin = this;
  const config = loadRelayConfig(configDir(this));
  const deployment = checkDeployment(config, readPluginList(config.configDir));
  if (deployment.problems.length > 0) throw new Error(`dlp: the relay cannot start:\n  - ${deployment.problems.join('\n  - ')}`);
  for (const warning of deployment.warnings) this.logwarn(`dlp: ${warning}`);
  const inspector = new InspectionPool(config);
  const log: RelayLog = { info: (m) => plugin.loginfo(m), warn: (m) => plugin.logwarn(m), crit: (m) => plugin.logcrit(m) };
  const roster = new RosterKeeper(inspector, log, (snapshot) => plugin.dlpConfig && inspector.use(plugin.dlpConfig, snapshot));
  try {
    roster.loadAtStart(config.rosterFiles);
  } catch (error) {
    roster.close();
    void inspector.close();
    throw error;
  }
  this.inspector = inspector;
  this.rosterKeeper = roster;
  const quarantine = new QuarantineAccess(config.quarantine, log);
  this.quarantine = quarantine;
  this.relayMail = new RelayMail(() => plugin.dlpConfig ?? config, quarantine, log);
  this.monitoring = new RelayMonitoring({
    config: () => plugin.dlpConfig ?? config,
    inspector: () => plugin.inspector,
    quarantine: () => plugin.quarantine,
    mail: () => plugin.relayMail,
    roster: () => plugin.rosterKeeper,
  });
  this.quarantineServices = startQuarantineServices(quarantine, () => plugin.dlpConfig ?? config, this.relayMail, log, this.monitoring);
  this.sourceGuard = new SourceGuard(() => plugin.dlpConfig ?? config, new SpentSignatures(() => plugin.quarantine?.store(), log));
  useConfig(this, config, roster.snapshot);
  this.loginfo(`dlp: loaded ${join(configDir(this), CONFIG_FILE_NAME)} (mode ${config.mode}, ${config.inspection.workers} inspection processes)`);
  this.loginfo(`dlp: accepting mail from ${config.sources.map(describeSourceFully).join('; ')}`);
  this.config.get(CONFIG_FILE_NAME, 'binary', () => reloadConfig.call(this));
  // First of every RCPT TO hook: nothing else may accept a recipient for a client that is not a source.
  this.register_hook('rcpt', 'check_source', -100);
  this.register_hook('data_post', 'inspect_message');
  // Before any queue plugin can deliver: a held message is answered 250 here and goes no further.
  this.register_hook('queue_outbound', 'answer_held', -100);
  this.register_hook('queue', 'answer_held', -100);
  this.register_hook('queue_ok', 'notify_delivered');
  this.register_hook('get_mx', 'route_outbound');
  this.register_hook('mail', 'refuse_while_stopping', -100);
  this.register_hook('data', 'track_transaction');
  this.register_hook('reset_transaction', 'untrack_transaction');
  this.register_hook('disconnect', 'untrack_transaction');
  this.inFlight = new TransactionsInFlight();
  // Haraka ends at once on SIGTERM (or not at all, unless it is process 1): a service stop must not cut messages off.
  process.removeAllListeners('SIGTERM');
  process.once('SIGTERM', () => void stopGracefully(plugin));
}

/**
 * rcpt: only the configured sources may relay through us. A client that is none of them is
 * refused (550 5.7.1, naming the kinds of source there are); one that must use TLS is told to
 * (530 5.7.0). Logged without content.
 */
export function check_source(this: DlpPlugin, next: Next, connection: HarakaConnection): void {
  try {
    const guard = this.sourceGuard;
    if (!guard) throw new Error('the relay has not finished starting');
    const admission = guard.admit(connection);
    if ('admitted' in admission) return next();
    const { code, enhanced, text, reason } = admission.refused;
    this.monitoring?.metrics.clientRefused(reason);
    connection.lognotice(this, JSON.stringify({ event: 'dlp-relay-refused', ip: connection.remote.ip, reason, sender: addressOf(connection.transaction?.mail_from) || '<>' }));
    return next(constants.DENY, DSN.create(code, text, enhanced[1], enhanced[2]));
  } catch (error) {
    connection.logerror(this, `dlp: could not check the client against the sources: ${describeError(error)}`);
    return next(constants.DENYSOFT, DSN.create(451, 'The relay cannot check who may send through it just now; try again later.', 4, 0));
  }
}

/** queue_ok: the message is accepted for delivery; a warned sender is told now. */
export function notify_delivered(this: DlpPlugin, next: Next, connection: HarakaConnection): void {
  try {
    const notice = connection.transaction?.notes[DELIVERED_NOTICE_NOTE] as PendingNotice | undefined;
    if (notice) this.relayMail?.afterVerdict(notice);
  } catch (error) {
    connection.logerror(this, `dlp: could not send the warn notice: ${describeError(error)}`);
  }
  return next();
}

/**
 * get_mx for Haraka's outbound queue: a released message (and the relay's own email) goes to
 * quarantine.release_via when set; everything else to delivery.smarthost when set; else by MX.
 */
export function route_outbound(this: DlpPlugin, next: Next, hmail: { todo?: { notes?: { get?(key: string): unknown } & Record<string, unknown> } }): void {
  const notes = hmail.todo?.notes;
  const releaseVia = notes?.get ? notes.get(RELEASE_VIA_NOTE) : notes?.[RELEASE_VIA_NOTE];
  const smarthost = this.dlpConfig?.delivery.smarthost;
  const via = typeof releaseVia === 'string' ? releaseVia : smarthost ? `${smarthost.host}:${smarthost.port}` : undefined;
  if (!via) return next();
  const colon = via.lastIndexOf(':');
  // A route from a hook must name its own HELO (Haraka fills it in only for MX lookups): the relay's name from config/me.
  const me = String(this.config.get('me', 'value', () => undefined) ?? '').trim() || hostname();
  return next(constants.OK, { priority: 0, exchange: via.slice(0, colon), port: Number(via.slice(colon + 1)), bind_helo: me });
}

/** Haraka calls this when it shuts down. */
export function shutdown(this: DlpPlugin): void {
  this.rosterKeeper?.close();
  void this.inspector?.close();
  void this.relayMail?.close();
  void this.quarantineServices?.close().then(() => this.quarantine?.close());
}

/** queue and queue_outbound: a message the quarantine holds is accepted (250 with its reference) and not delivered. */
export function answer_held(this: DlpPlugin, next: Next, connection: HarakaConnection): void {
  const line = connection.transaction?.notes[HELD_NOTE];
  if (typeof line === 'string') return next(constants.OK, line);
  return next();
}

/**
 * The configuration directory: the one bin/relay.js was given (Haraka's home links to it),
 * else Haraka's install directory's config/ (`haraka -c DIR`).
 */
function configDir(plugin: DlpPlugin): string {
  if (process.env['DLP_CONFIG_DIR']) return process.env['DLP_CONFIG_DIR'];
  return process.env['HARAKA'] ? join(process.env['HARAKA'], 'config') : plugin.config.root_path;
}

/**
 * Puts a validated configuration and accepted roster in force. Haraka answers "450 plugin
 * timeout" on its own after `plugin.timeout` seconds: keep that guard a little behind our
 * own time budgets (waiting for a process, inspecting, storing a hold), so the sender always
 * gets our 451 with a reference.
 */
function useConfig(plugin: DlpPlugin, config: DlpConfig, rosterSnapshot: string): void {
  plugin.dlpConfig = config;
  plugin.inspector?.use(config, rosterSnapshot);
  plugin.timeout = Math.ceil((config.inspection.maxWaitMs + config.inspection.timeoutMs + HOLD_WRITE_MS) / 1000) + 5;
}

let configGeneration = 0;

/** On a change to dlp.yaml: use the new configuration (and its roster) if valid, else keep the old one and say why. */
export function reloadConfig(this: DlpPlugin): void {
  const plugin = this;
  const generation = ++configGeneration;
  const refuse = (error: unknown): void =>
    plugin.logcrit(`dlp: ${CONFIG_FILE_NAME} changed but is not valid; the previous configuration stays in force. ${errorText(error)}`);
  let config: DlpConfig;
  try {
    config = loadRelayConfig(configDir(this));
    const { problems } = checkDeployment(config, readPluginList(config.configDir));
    if (problems.length > 0) throw new Error(problems.join('; '));
  } catch (error) {
    return refuse(error);
  }
  if (!this.rosterKeeper) return;
  this.rosterKeeper.forFiles(config.rosterFiles).then((snapshot) => {
    if (generation !== configGeneration) return; // a later edit is being put in force
    useConfig(plugin, config, snapshot);
    plugin.loginfo(`dlp: reloaded ${CONFIG_FILE_NAME} (mode ${config.mode})`);
  }, refuse);
}

function errorText(error: unknown): string {
  return String(error instanceof Error ? error.message : error);
}

/** For the start-up log: the source, where its addresses come from, and what else it must prove. */
function describeSourceFully(source: SourceRule): string {
  const proof = source.kind === 'microsoft365' ? ', the tenant id on each message' : source.kind === 'google-workspace' ? ", a fresh DKIM signature of the trust's domain on each message" : '';
  const tls = source.certificateNames.length > 0 ? `, TLS with a certificate for ${source.certificateNames.join(' or ')}` : source.tlsRequired ? ', TLS' : '';
  return `${describeSource(source)} (addresses from ${source.networksFrom}${tls}${proof})`;
}
