import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { InspectionEngine } from '../../src/engine/inspect.js';
import type { Verdict } from '../../src/engine/types.js';
import { loadRoster } from '../../src/roster/source.js';
import { BASE_DLP_YAML, configDirWith } from './config.js';
import { FIXTURES } from './paths.js';

export const RIVERSIDE_ROSTER = join(FIXTURES, 'roster/riverside-primary.csv');
export const STAFF = 'teacher@example-trust.org.uk';
/** Inspections in tests happen on a fixed day, so that ages and "future" dates do not drift. */
export const TEST_TODAY = new Date('2026-11-23T12:00:00Z');

/** An engine with the Riverside roster (or the given CSV text) and BASE_DLP_YAML plus `extraYaml`. */
export function engineWithRoster(options: { csv?: string; extraYaml?: string } = {}): InspectionEngine {
  const dir = configDirWith(`${BASE_DLP_YAML}roster:\n  file: roster.csv\n${options.extraYaml ?? ''}`);
  if (options.csv === undefined) copyFileSync(RIVERSIDE_ROSTER, join(dir, 'roster.csv'));
  else writeFileSync(join(dir, 'roster.csv'), options.csv);
  const config = loadConfig(dir);
  return new InspectionEngine(config, { roster: loadRoster(config).roster, today: () => TEST_TODAY });
}

/** A plain-text message from a member of staff, as raw bytes. */
export function textMessage(subject: string, body: string, headers = ''): Buffer {
  return Buffer.from(
    `From: Teacher <${STAFF}>\r\nTo: someone@example.com\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n${headers}\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`,
  );
}

export function inspect(engine: InspectionEngine, raw: Buffer, ...rcptTo: string[]): Promise<Verdict> {
  return engine.inspect(raw, { mailFrom: STAFF, rcptTo });
}

/** Finding kinds and locations, the shape most assertions need. */
export function kindsIn(verdict: Verdict): string[] {
  return verdict.findings.map((f) => `${f.kind}@${f.location}`);
}
