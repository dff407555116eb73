/**
 * Runs in a worker process of the inspection pool: parsing and detection happen here, off
 * Haraka's event loop. Each worker keeps the engine for the configuration and roster it was
 * last given, and builds a new one when the relay says either has changed.
 */
import { performance } from 'node:perf_hooks';
import workerpool from 'workerpool';
import { loadConfig } from '../config/load.js';
import { InspectionEngine } from '../engine/inspect.js';
import type { NormalisedMessage, Verdict } from '../engine/types.js';
import { senderNoticeFacts, type SenderNoticeFacts } from '../notify/facts.js';
import { buildReviewDocument } from '../quarantine/review-document.js';
import { loadRosterFiles } from '../roster/load-roster.js';
import { Roster } from '../roster/roster.js';
import { readRosterSnapshot, writeRosterSnapshot } from '../roster/snapshot.js';
import { summariseRoster } from '../roster/source.js';
import type { InspectionOutcome, InspectionStarted, InspectionTask, RosterCheck } from './inspection-protocol.js';

let current: { key: string; engine: InspectionEngine } | undefined;

async function inspect(task: InspectionTask): Promise<InspectionOutcome> {
  workerpool.workerEmit({ pid: process.pid } satisfies InspectionStarted);
  const key = `${task.configDir}\0${task.configText}\0${task.rosterSnapshot}`;
  if (current?.key !== key) {
    const config = loadConfig(task.configDir, { configText: task.configText });
    const pupils = task.rosterSnapshot ? readRosterSnapshot(task.rosterSnapshot) : [];
    current = { key, engine: new InspectionEngine(config, { roster: new Roster(pupils, config.personalData.commonWords) }) };
  }
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const started = performance.now();
  const message = await current.engine.parse(raw);
  const verdict = current.engine.inspectParsed(message, task.envelope, task.reference, started);
  if (verdict.action === 'pass') return { verdict };
  // What the sender's guidance email needs of the message; a held message (or, in monitor mode, one
  // that would have been) also goes to the review queue with what the reviewer will see, and keeps it for the DPO's decision.
  const notice = noticeFactsOrNone(message, verdict, task.envelope.mailFrom);
  const outcome: InspectionOutcome = notice ? { verdict, notice } : { verdict };
  if (verdict.action !== 'hold') return outcome;
  const review = buildReviewDocument(message, verdict);
  return { ...outcome, review: notice ? { ...review, notice } : review };
}

/** The notice is a courtesy: if working it out fails, the sender is not told, and the verdict stands. */
function noticeFactsOrNone(message: NormalisedMessage, verdict: Verdict, mailFrom: string): SenderNoticeFacts | undefined {
  try {
    return senderNoticeFacts(message, verdict.findings, mailFrom);
  } catch (error) {
    console.error(`dlp: ${verdict.reference}: could not prepare the sender's notice: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Reads roster CSVs off the relay's event loop and freezes them as a snapshot for the relay to accept or refuse. */
function checkRoster(files: string[], idKeyHex: string, snapshotDir: string): RosterCheck {
  const data = loadRosterFiles(files, { idKey: Buffer.from(idKeyHex, 'hex') });
  return { summary: summariseRoster(data), snapshot: writeRosterSnapshot(snapshotDir, data.pupils) };
}

workerpool.worker({ inspect, checkRoster });
