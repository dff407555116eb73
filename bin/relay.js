#!/usr/bin/env node
// Starts the relay: checks config/dlp.yaml and the roster first (a clear message instead of a Haraka
// stack trace), then runs Haraka with this directory's config/ and plugins/.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRelayConfig } from '../dist/relay/relay-config.js';
import { loadRosterFiles } from '../dist/roster/load-roster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
try {
  loadRosterFiles(loadRelayConfig(join(root, 'config')).rosterFiles);
} catch (error) {
  console.error(`dlp relay: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
const haraka = createRequire(import.meta.url).resolve('haraka/bin/haraka');
const child = spawn(process.execPath, [haraka, '-c', root], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
