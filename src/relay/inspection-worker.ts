/**
 * Runs in a worker process of the inspection pool: parsing and detection happen here, off
 * Haraka's event loop. Each worker keeps the engine for the configuration it was last given.
 */
import workerpool from 'workerpool';
import { loadConfig } from '../config/load.js';
import { InspectionEngine } from '../engine/inspect.js';
import type { Envelope, Verdict } from '../engine/types.js';

export interface InspectionTask {
  configDir: string;
  /** dlp.yaml as the relay validated it, so every worker judges by the same configuration. */
  configText: string;
  raw: Uint8Array;
  envelope: Envelope;
  reference: string;
}

let current: { configDir: string; configText: string; engine: InspectionEngine } | undefined;

async function inspect(task: InspectionTask): Promise<Verdict> {
  if (!current || current.configDir !== task.configDir || current.configText !== task.configText) {
    const config = loadConfig(task.configDir, { configText: task.configText });
    current = { configDir: task.configDir, configText: task.configText, engine: new InspectionEngine(config) };
  }
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  return current.engine.inspect(raw, task.envelope, task.reference);
}

workerpool.worker({ inspect });
