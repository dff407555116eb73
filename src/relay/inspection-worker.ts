/**
 * Runs in a worker process of the inspection pool: parsing and detection happen here, off
 * Haraka's event loop. Each worker keeps the engine for the configuration and roster it was
 * last given, and builds a new one when the relay says either has changed.
 */
import workerpool from 'workerpool';
import { loadConfig } from '../config/load.js';
import { InspectionEngine } from '../engine/inspect.js';
import type { Envelope, Verdict } from '../engine/types.js';
import { loadRosterFiles } from '../roster/load-roster.js';
import { loadRoster, summariseRoster, type RosterSummary } from '../roster/source.js';

export interface InspectionTask {
  configDir: string;
  /** dlp.yaml as the relay validated it, so every worker judges by the same configuration. */
  configText: string;
  /** The roster files' state when the relay last accepted them (see rosterStamp). */
  rosterStamp: string;
  raw: Uint8Array;
  envelope: Envelope;
  reference: string;
}

let current: { key: string; engine: InspectionEngine } | undefined;

async function inspect(task: InspectionTask): Promise<Verdict> {
  const key = `${task.configDir}\0${task.configText}\0${task.rosterStamp}`;
  if (current?.key !== key) {
    const config = loadConfig(task.configDir, { configText: task.configText });
    current = { key, engine: new InspectionEngine(config, { roster: loadRoster(config).roster }) };
  }
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  return current.engine.inspect(raw, task.envelope, task.reference);
}

/** Reads roster files as a worker would, for the relay to accept or refuse them without blocking its loop. */
function checkRoster(files: string[]): RosterSummary {
  return summariseRoster(loadRosterFiles(files));
}

workerpool.worker({ inspect, checkRoster });
