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
import { Roster } from '../roster/roster.js';
import { readRosterSnapshot, writeRosterSnapshot } from '../roster/snapshot.js';
import { summariseRoster, type RosterSummary } from '../roster/source.js';

export interface InspectionTask {
  configDir: string;
  /** dlp.yaml as the relay validated it, so every worker judges by the same configuration. */
  configText: string;
  /** The roster the relay accepted (a snapshot file), or '' for none. */
  rosterSnapshot: string;
  raw: Uint8Array;
  envelope: Envelope;
  reference: string;
}

export interface RosterCheck {
  summary: RosterSummary;
  /** The accepted-if-you-like snapshot; the relay deletes it if it refuses the roster. */
  snapshot: string;
}

let current: { key: string; engine: InspectionEngine } | undefined;

async function inspect(task: InspectionTask): Promise<Verdict> {
  const key = `${task.configDir}\0${task.configText}\0${task.rosterSnapshot}`;
  if (current?.key !== key) {
    const config = loadConfig(task.configDir, { configText: task.configText });
    const pupils = task.rosterSnapshot ? readRosterSnapshot(task.rosterSnapshot) : [];
    current = { key, engine: new InspectionEngine(config, { roster: new Roster(pupils, config.personalData.commonWords) }) };
  }
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  return current.engine.inspect(raw, task.envelope, task.reference);
}

/** Reads roster CSVs off the relay's event loop and freezes them as a snapshot for the relay to accept or refuse. */
function checkRoster(files: string[], idKeyHex: string, snapshotDir: string): RosterCheck {
  const data = loadRosterFiles(files, { idKey: Buffer.from(idKeyHex, 'hex') });
  return { summary: summariseRoster(data), snapshot: writeRosterSnapshot(snapshotDir, data.pupils) };
}

workerpool.worker({ inspect, checkRoster });
