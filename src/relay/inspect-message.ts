/**
 * data_post: the message is read, its source's proof checked, inspected in a worker process
 * and answered once: delivered (with our verdict header), held (stored, then 250 in the queue
 * hooks), refused, or 451 when it cannot be decided now. Decisions are the engine's and
 * smtp-reply.ts's; this only does the I/O and keeps the time budgets.
 */
import constants from 'haraka-constants';
import DSN from 'haraka-dsn';
import { parsingLimitOf } from '../engine/normalise.js';
import { newReference } from '../engine/reference.js';
import type { Verdict } from '../engine/types.js';
import { describeSources } from '../sources/connection.js';
import { describeError } from './describe-error.js';
import { addressOf, type DlpPlugin, type HarakaConnection, type Next } from './haraka-types.js';
import type { InspectionOutcome } from './inspection-pool.js';
import { verdictLogRecord } from './log-record.js';
import { queueItemOf } from './queue-item.js';
import type { RelayMail } from './relay-mail.js';
import {
  decide,
  holdFailed,
  inspectionBusy,
  inspectionFailed,
  overInspectionLimit,
  relayStopping,
  sourceNotProven,
  VERDICT_HEADER,
  type RelayDecision,
} from './smtp-reply.js';
import type { MessageAdmission } from './source-guard.js';

/** Transaction note: the reply line for a message the quarantine has taken (answered 250 in the queue hooks). */
export const HELD_NOTE = 'dlp_held';
/** Transaction note: the warn notice to send once a queue has accepted the message. */
export const DELIVERED_NOTICE_NOTE = 'dlp_delivered_notice';

export type PendingNotice = Parameters<RelayMail['afterVerdict']>[0];

/**
 * Longest wait for the review queue to store a held message before the sender gets 451. The
 * store's own limits (PostgreSQL's query and connection timeouts, SQLite's busy timeout) end
 * a write sooner; this answers a store that is stuck beyond them.
 */
export const HOLD_WRITE_MS = 15_000;

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
    source?.answered(!refusal || refusal.code >= 500);
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
    // Haraka keeps only the first max_lines header lines, for every plugin and for delivery: what
    // is past them can be neither checked nor passed on faithfully (and could hide a second
    // tenant id or a name). The same bytes would fail again: refused for good.
    const maxHeaderLines = txn.cfg?.headers?.max_lines ?? 1000;
    if ((txn.header_lines?.length ?? 0) >= maxHeaderLines) {
      return void answer(overInspectionLimit(reference, `its header has ${maxHeaderLines} lines or more`), 'refuse-over-limit');
    }
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
          .admitMessage(connection, { raw, mailFrom })
          .then((admission) => {
            if (!admission.admitted) {
              sourceRefusal = admission.why;
              const decision = sourceNotProven(reference, `this message does not show it comes from ${describeSources(admission.sources)}: ${admission.why}`, admission.temporary);
              answer(decision, admission.temporary ? 'tempfail-source' : 'refuse-source');
              return undefined;
            }
            if (answered) {
              // The wait budget ran out while the proof was checked: the sender has its 451 and
              // retries with the same signature, which it must find unclaimed.
              admission.answered(false);
              return undefined;
            }
            source = admission;
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
