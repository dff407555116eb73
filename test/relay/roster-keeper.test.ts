import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../dist/config/load.js';
import { InspectionPool } from '../../dist/relay/inspection-pool.js';
import { RosterKeeper } from '../../dist/relay/roster-keeper.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';

// The compiled keeper and pool (dist/), as the relay runs them: `npm test` builds first.
const never = new AbortController().signal;
const message = (body: string): Buffer => Buffer.from(`From: t@example-trust.org.uk\r\nTo: x@gmail.com\r\nSubject: note\r\n\r\n${body}\r\n`);
const envelope = { mailFrom: 't@example-trust.org.uk', rcptTo: ['helper@gmail.com'] };

interface Harness {
  keeper: RosterKeeper;
  pool: InspectionPool;
  file: string;
  logs: string[];
  accepted: string[];
  names(body: string, pool?: InspectionPool): Promise<number>;
}

let open: Harness | undefined;
afterEach(async () => {
  open?.keeper.close();
  await open?.pool.close();
  open = undefined;
});

function harness(): Harness {
  const dir = configDirWith(`${BASE_DLP_YAML}roster:\n  file: roster.csv\n`);
  const file = join(dir, 'roster.csv');
  copyFileSync(RIVERSIDE_ROSTER, file);
  const config = loadConfig(dir);
  const pool = new InspectionPool(config, 1);
  const logs: string[] = [];
  const accepted: string[] = [];
  const keeper = new RosterKeeper(
    pool,
    { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), crit: (m) => logs.push(`crit ${m}`) },
    (snapshot) => {
      accepted.push(snapshot);
      pool.use(config, snapshot);
    },
  );
  pool.use(config, keeper.loadAtStart(config.rosterFiles));
  const names = async (body: string, using = pool): Promise<number> =>
    (await using.inspect(message(body), envelope, 'DLP-T', never)).verdict.findings.filter((f) => f.kind === 'pupil-name').length;
  open = { keeper, pool, file, logs, accepted, names };
  return open;
}

async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the roster in force', () => {
  it('puts a changed roster in force once it has stopped changing', async () => {
    const h = harness();
    expect(await h.names('Amara Okafor')).toBe(0);
    writeFileSync(h.file, `${readFileSync(RIVERSIDE_ROSTER, 'utf8')},Amara,,Okafor,,01/01/2016,Year 4,4C,\n`);
    await until(() => h.accepted.length === 1);
    expect(h.logs).toContainEqual(expect.stringMatching(/^info dlp: roster: 8 pupils/));
    expect(await h.names('Amara Okafor')).toBe(1);
  });

  it('keeps the roster in force when the new file is empty or cut short, even for a fresh inspection process', async () => {
    const h = harness();
    writeFileSync(h.file, 'UPN,Legal Forename,Legal Surname\n');
    await until(() => h.logs.some((l) => l.startsWith('crit')));
    expect(h.logs.at(-1)).toMatch(/crit dlp: a roster file changed but has no pupils; the previous roster \(7 pupils\) stays in force/);

    writeFileSync(h.file, readFileSync(RIVERSIDE_ROSTER, 'utf8').split('\n').slice(0, 3).join('\n'));
    await until(() => h.logs.filter((l) => l.startsWith('crit')).length === 2);
    expect(h.logs.at(-1)).toMatch(/has 2 pupils, fewer than half of the 7 in force/);

    // A process started now (after a crash, say) inspects with the accepted roster, not the file on disk.
    const fresh = new InspectionPool(loadConfig(join(h.file, '..')), 1);
    try {
      fresh.use(loadConfig(join(h.file, '..')), h.keeper.snapshot);
      expect(await h.names('Grace Hall and Summer Day', fresh)).toBe(2);
    } finally {
      await fresh.close();
    }
    expect(h.accepted).toEqual([]);
  });

  it('keeps the roster in force when the new file cannot be read as a roster', async () => {
    const h = harness();
    writeFileSync(h.file, 'Pupil Ref,Class\n1,5B\n');
    await until(() => h.logs.some((l) => l.startsWith('crit')));
    expect(h.logs.at(-1)).toMatch(/cannot be used; the previous roster stays in force.*no usable name columns/);
    expect(await h.names('Jane Smith')).toBe(1);
  });
});
