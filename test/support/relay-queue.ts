import { join } from 'node:path';
import { loadOrCreateKey } from '../../src/quarantine/sealed-box.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import type { QuarantineStore } from '../../src/quarantine/types.js';
import type { HarakaRelay } from './haraka-relay.js';

/** The test relay's own quarantine (SQLite under its install directory, as the default config puts it), opened beside it. */
export async function relayQueue(relay: HarakaRelay): Promise<QuarantineStore> {
  const { key } = loadOrCreateKey(join(relay.dir, 'data/quarantine.key'), { create: false });
  return openQuarantineStore({ url: `sqlite:${join(relay.dir, 'data/quarantine.sqlite')}`, key });
}

export function referenceIn(response: string): string {
  const match = /Ref (DLP-[0-9A-Z]{5}-[0-9A-Z]{5})/.exec(response);
  if (!match) throw new Error(`no reference in ${response}`);
  return match[1]!;
}
