/**
 * The relay's side of a service stop (SIGTERM): see graceful-stop.ts for what happens to the
 * messages in flight. These are Haraka hooks (re-exported by plugin.ts) and the stop itself.
 */
import { createRequire } from 'node:module';
import constants from 'haraka-constants';
import DSN from 'haraka-dsn';
import { describeError } from './describe-error.js';
import type { DlpPlugin, HarakaConnection, Next } from './haraka-types.js';

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
export async function stopGracefully(plugin: DlpPlugin): Promise<void> {
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
