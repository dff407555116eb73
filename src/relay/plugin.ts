/**
 * The Haraka adapter. plugins/dlp.js re-exports this module; Haraka calls `register` with
 * `this` bound to the plugin object, and the hooks with (next, connection). It only does
 * I/O: read the message, call the engine, map the verdict to a reply. Decisions live in
 * the engine and in ./smtp-reply.ts.
 */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import constants from 'haraka-constants';
import DSN from 'haraka-dsn';
import { CONFIG_FILE_NAME, type DlpConfig } from '../config/load.js';
import { loadRelayConfig } from './relay-config.js';
import { parsingLimitOf } from '../engine/normalise.js';
import { newReference } from '../engine/reference.js';
import type { Verdict } from '../engine/types.js';
import { InspectionPool, type InspectionOutcome } from './inspection-pool.js';
import { RosterKeeper, type RelayLog } from './roster-keeper.js';
import { addressOf, type DlpPlugin, type HarakaConnection, type Next } from './haraka-types.js';
import { verdictLogRecord } from './log-record.js';
import { decide, holdFailed, inspectionBusy, inspectionFailed, overInspectionLimit, relayStopping, sourceNotProven, VERDICT_HEADER, type RelayDecision } from './smtp-reply.js';
import { SourceGuard, type MessageAdmission } from './source-guard.js';
import { SpentSignatures } from './spent-signatures.js';
import { describeSource, describeSources } from '../sources/connection.js';
import type { SourceRule } from '../config/sources.js';
import { checkDeployment, readPluginList } from './deployment-checks.js';
import { TransactionsInFlight } from './graceful-stop.js';
import { RelayMonitoring } from './monitoring.js';
import { RELEASE_VIA_NOTE } from './haraka-outbound.js';
import { QuarantineAccess } from './quarantine-access.js';
import { queueItemOf } from './queue-item.js';
import { startQuarantineServices } from './quarantine-services.js';
import { RelayMail } from './relay-mail.js';

/** Transaction note: the reply line for a message the quarantine has taken (answered 250 in the queue hooks). */
const HELD_NOTE = 'dlp_held';
/** Transaction note: the warn notice to send once a queue has accepted the message. */
const DELIVERED_NOTICE_NOTE = 'dlp_delivered_notice';

type PendingNotice = Parameters<RelayMail['afterVerdict']>[0];

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
 * How long messages in flight may take to finish after SIGTERM: DLP_STOP_GRACE_SECONDS, else
 * 25 s (systemd's TimeoutStopSec in deploy/ leaves room for it).
 */
function stopGraceMs(): number {
  const given = process.env['DLP_STOP_GRACE_SECONDS']?.trim();
  const seconds = given ? Number(given) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 25_000;
}

/**
 * SIGTERM: stop listening, let what is in flight finish (451 to what cannot within the grace
 * period), close the outbox, the review queue and the store, and exit 0. See graceful-stop.ts.
 */
async function stopGracefully(plugin: DlpPlugin): Promise<void> {
  plugin.stopping = true;
  const inFlight = plugin.inFlight;
  // Whatever happens below, the process ends: a service stop must never hang.
  setTimeout(() => {
    plugin.logcrit('dlp: could not stop cleanly in time; exiting');
    process.exit(1);
  }, stopGraceMs() + 15_000).unref();
  const graceMs = stopGraceMs();
  plugin.lognotice(`dlp: SIGTERM: no new connections; ${inFlight?.size ?? 0} message(s) in flight may finish within ${graceMs / 1000} s`);
  try {
    (createRequire(import.meta.url)('haraka/server') as { stopListeners(): void }).stopListeners();
  } catch (error) {
    plugin.logerror(`dlp: could not stop listening: ${describeError(error)}`);
  }
  if (inFlight && !(await inFlight.drained(graceMs))) {
    const aborted = inFlight.abortAll();
    await inFlight.drained(2_000);
    plugin.logwarn(
      `dlp: ${aborted} message(s) still being checked were answered 451 (to be retried)` +
        (inFlight.size > 0 ? `; ${inFlight.size} being delivered are left to the sending server's retry` : ''),
    );
  }
  const step = async (what: string, closing: Promise<unknown> | undefined): Promise<void> => {
    const done = await Promise.race([Promise.resolve(closing).then(() => true, () => true), new Promise<false>((r) => setTimeout(r, 5_000, false))]);
    if (!done) plugin.logwarn(`dlp: ${what} did not close within 5 s`);
  };
  plugin.rosterKeeper?.close();
  await Promise.all([step('the outbox', plugin.relayMail?.close()), step('the review queue', plugin.quarantineServices?.close())]);
  await Promise.all([step('the inspection processes', plugin.inspector?.close()), step('the quarantine store', plugin.quarantine?.close())]);
  plugin.lognotice('dlp: stopped');
  process.exit(0);
}

/** mail: once stopping, new transactions on connections still open are turned away for now (421: the client comes back). */
export function refuse_while_stopping(this: DlpPlugin, next: Next): void {
  if (!this.stopping) return next();
  return next(constants.DENYSOFTDISCONNECT, DSN.create(421, 'The relay is restarting; try again in a minute.', 3, 2));
}

/** data: a message is being received; SIGTERM waits for it. */
export function track_transaction(this: DlpPlugin, next: Next, connection: HarakaConnection): void {
  if (connection.transaction) this.inFlight?.begin(connection.transaction.uuid);
  return next();
}

/** reset_transaction and disconnect: the transaction is over (delivered, held, refused, or the client went away). */
export function untrack_transaction(this: DlpPlugin, next: Next, connection: HarakaConnection): void {
  if (connection.transaction) this.inFlight?.end(connection.transaction.uuid);
  return next();
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

/**
 * Longest wait for the review queue to store a held message before the sender gets 451. The
 * store's own limits (PostgreSQL's query and connection timeouts, SQLite's busy timeout) end
 * a write sooner; this answers a store that is stuck beyond them.
 */
const HOLD_WRITE_MS = 15_000;

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

export function inspect_message(this: DlpPlugin, next: Next, connection: HarakaConnection): void {
  // Haraka treats a synchronous throw in a hook as "carry on" and delivers, and an exception in
  // a callback kills the process: nothing here may throw, and every path ends in one answer.
  const reference = newReference();
  const started = Date.now();
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  let mailFrom = '';
  let rcptTo: string[] = [];
  let source: (MessageAdmission & { admitted: true }) | undefined;
  let sourceRefusal: string | undefined;
  const txn = connection.transaction;

  /** Replies once; true when the reply is the decision given (not a 451 because applying it failed). */
  const answer = (decision: RelayDecision, outcome: string, verdict?: Verdict, error?: unknown): boolean => {
    if (answered) return false;
    answered = true;
    clearTimeout(timer);
    let refusal = decision.kind === 'refuse' ? decision : undefined;
    try {
      const record = verdictLogRecord({
        reference,
        mailFrom,
        rcptTo,
        size: txn?.data_bytes ?? 0,
        outcome,
        ...(source ? { source: source.source.name } : {}),
        ...(sourceRefusal ? { sourceRefusal } : {}),
        elapsedMs: Date.now() - started,
        ...(verdict ? { verdict } : {}),
        ...(error ? { error: describeError(error) } : {}),
      });
      (error ? connection.logerror : connection.loginfo).call(connection, this, JSON.stringify(record));
      this.monitoring?.metrics.answered(outcome, verdict, Date.now() - started);
      txn?.results.add(this, { ...(refusal ? { fail: outcome } : { pass: outcome }), ref: reference });
      if (verdict && txn) txn.notes['dlp'] = verdict;
      if (decision.kind === 'hold') {
        if (!txn) throw new Error('no transaction to hold');
        txn.notes[HELD_NOTE] = decision.line;
      }
      if (decision.kind === 'deliver') {
        if (!txn) throw new Error('no transaction to deliver');
        txn.remove_header(VERDICT_HEADER); // a sender must not be able to forge our verdict
        txn.add_header(VERDICT_HEADER, decision.header);
      }
    } catch (failure) {
      connection.logerror(this, `dlp: could not apply the verdict (ref ${reference}): ${describeError(failure)}`);
      refusal = inspectionFailed(reference, 'error');
    }
    const asDecided = refusal === (decision.kind === 'refuse' ? decision : undefined);
    // A final answer spends the message's proof (a Google signature cannot be used twice); a 4xx does not, since the retry carries it again.
    if (source && (!refusal || refusal.code >= 500)) source.spent();
    if (!refusal) next();
    else {
      const [cls, subject, detail] = refusal.enhanced;
      next(cls === 5 ? constants.DENY : constants.DENYSOFT, DSN.create(refusal.code, refusal.lines, subject, detail));
    }
    return asDecided;
  };
  const failed = (error: unknown): void => {
    const overLimit = parsingLimitOf(error);
    if (overLimit) return void answer(overInspectionLimit(reference, overLimit), 'refuse-over-limit', undefined, error);
    return void answer(inspectionFailed(reference, 'error'), 'tempfail-error', undefined, error);
  };

  try {
    const { inspector, dlpConfig } = this;
    if (!txn || !inspector || !dlpConfig) throw new Error('no transaction or no inspector');
    mailFrom = addressOf(txn.mail_from);
    rcptTo = txn.rcpt_to.map(addressOf);
    const { timeoutMs, maxWaitMs } = dlpConfig.inspection;
    this.inFlight?.onAbort(txn.uuid, () => {
      budget.abort();
      void answer(relayStopping(reference), 'tempfail-stopping', undefined, new Error('the relay stopped before the message was checked'));
    });
    const budget = new AbortController();
    // Two budgets: waiting for a free inspection process (a burst of large messages queues up),
    // then the inspection itself. Counting the wait against the inspection would kill processes
    // part-way through work that a moment more would finish, and under a burst no message would
    // ever be checked; a message that waits too long is taken out of the queue untouched.
    timer = setTimeout(() => {
      budget.abort();
      void answer(inspectionBusy(reference), 'tempfail-busy', undefined, new Error(`no inspection process was free within ${maxWaitMs} ms`));
    }, maxWaitMs);
    const inspectionStarted = (): void => {
      if (answered) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        budget.abort(); // kills the inspection worker process, not only our wait for it
        void answer(inspectionFailed(reference, 'timeout'), 'tempfail-timeout', undefined, new Error(`inspection exceeded ${timeoutMs} ms`));
      }, timeoutMs);
    };
    const quarantine = this.quarantine;
    const relayMail = this.relayMail;
    // The sender hears about a hold or reject once the relay has answered exactly that; about a
    // warn once a queue has taken the message (queue_ok), since a later plugin may still refuse it.
    const answerAndNotify = (outcome: InspectionOutcome, decision: RelayDecision, label: string): void => {
      if (!answer(decision, label, outcome.verdict) || !outcome.notice || !relayMail) return;
      const notice: PendingNotice = { verdict: outcome.verdict, facts: outcome.notice, mailFrom, rcptTo };
      if (decision.kind === 'deliver') txn.notes[DELIVERED_NOTICE_NOTE] = notice;
      else relayMail.afterVerdict(notice);
    };
    const guard = this.sourceGuard;
    if (!guard) throw new Error('no source guard');
    txn.message_stream.get_data((raw) => {
      try {
        guard
          .admitMessage(connection, { raw, mailFrom, header: (name) => txn.header.get_all(name) })
          .then((admission) => {
            if (!admission.admitted) {
              sourceRefusal = admission.why;
              const decision = sourceNotProven(reference, `this message does not show it comes from ${describeSources(admission.sources)}: ${admission.why}`, admission.temporary);
              answer(decision, admission.temporary ? 'tempfail-source' : 'refuse-source');
              return undefined;
            }
            source = admission;
            if (answered) return undefined; // the wait budget ran out while the proof was checked
            return inspector.inspect(raw, { mailFrom, rcptTo }, reference, budget.signal, inspectionStarted);
          })
          .then(async (inspected) => {
            if (!inspected) return;
            const { verdict, review } = inspected;
            const outcome = verdict.mode === 'monitor' ? `monitor-${verdict.action}` : verdict.action;
            const decision = decide(verdict);
            if (verdict.action !== 'hold') return answerAndNotify(inspected, decision, outcome);
            if (!review || !quarantine) return void answer(holdFailed(reference), 'tempfail-quarantine', verdict, new Error('no review document or quarantine'));
            const item = queueItemOf({ verdict, review, raw, mailFrom, rcptTo });
            if (decision.kind !== 'hold') {
              // Monitor mode: delivered whatever happens; the queue shows it would have been held.
              quarantine.store().then((store) => store.hold(item)).catch((error: unknown) =>
                connection.logerror(this, `dlp: could not record a monitored hold (ref ${reference}): ${describeError(error)}`),
              );
              return void answer(decision, outcome, verdict);
            }
            if (answered) return; // the time budget ran out first: the sender has its 451 and will retry
            // The inspection is over: from here the store's own timeouts bound the write, and this
            // guard only answers a store that hangs beyond them.
            clearTimeout(timer);
            timer = setTimeout(() => {
              void answer(holdFailed(reference), 'tempfail-quarantine', verdict, new Error(`the review queue did not store the message within ${HOLD_WRITE_MS} ms`));
            }, HOLD_WRITE_MS);
            try {
              // Committed before the reply: a crash after the 250 cannot lose it.
              await (await quarantine.store()).hold(item);
            } catch (error) {
              return void answer(holdFailed(reference), 'tempfail-quarantine', verdict, error);
            }
            if (answered) {
              connection.logerror(this, `dlp: ref ${reference} was stored in the review queue after the sender was told 451; its retry will be held again under a new reference`);
              return;
            }
            return answerAndNotify(inspected, decision, outcome);
          })
          .catch(failed);
      } catch (error) {
        failed(error);
      }
    });
  } catch (error) {
    failed(error);
  }
}

/** An error for the log: its kind and first line, capped, so that no message content can ride along at length. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const firstLine = text.split('\n')[0]!;
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine;
}

/** For the start-up log: the source, where its addresses come from, and what else it must prove. */
function describeSourceFully(source: SourceRule): string {
  const proof = source.kind === 'microsoft365' ? ', the tenant id on each message' : source.kind === 'google-workspace' ? ", a fresh DKIM signature of the trust's domain on each message" : '';
  const tls = source.certificateNames.length > 0 ? `, TLS with a certificate for ${source.certificateNames.join(' or ')}` : source.tlsRequired ? ', TLS' : '';
  return `${describeSource(source)} (addresses from ${source.networksFrom}${tls}${proof})`;
}
