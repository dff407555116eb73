/**
 * `node bin/relay.js [--config DIR] [--data DIR]`: checks the configuration, roster, TLS
 * certificate and plugin list first (a clear message instead of a Haraka stack trace), makes
 * Haraka's home in the data directory, and runs Haraka in this process, so that a service
 * manager's signals reach the relay itself.
 *
 * Haraka reads its configuration from `<home>/config` and keeps its queue in `<home>/queue`.
 * The home is `<data>/haraka`, with `config` a link to the trust's configuration directory
 * and `plugins`/`dist` links into this package: an upgrade replaces the package and never
 * touches the configuration, the roster, the quarantine or the queue.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, symlinkSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configDirOf, dataDirOf, type DlpConfig } from '../config/load.js';
import { maskDatabaseUrl } from '../quarantine/database.js';
import { keyFitsQuarantine } from '../quarantine/key-fit.js';
import { loadOrCreateKey } from '../quarantine/sealed-box.js';
import { loadRosterFiles } from '../roster/load-roster.js';
import { checkDeployment, readPluginList } from './deployment-checks.js';
import { loadRelayConfig } from './relay-config.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const LAUNCH_USAGE = `Usage: node bin/relay.js [--config DIR] [--data DIR] [--check]
  --config DIR  the configuration: dlp.yaml, Haraka's files, the roster (default: $DLP_CONFIG_DIR, else the package's config/)
  --data DIR    what the relay writes: quarantine, key, outbox, Haraka's queue (default: $DLP_DATA_DIR, else data/ beside the configuration)
  --check       check everything the relay needs, print what is wrong, and exit (0: it would start)
`;

export interface LaunchPlan {
  configDir: string;
  dataDir: string;
  harakaHome: string;
  check: boolean;
}

export class LaunchError extends Error {
  override readonly name = 'LaunchError';
}

export function planLaunch(argv: readonly string[]): LaunchPlan | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, data: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    throw new LaunchError(`${error instanceof Error ? error.message : String(error)}\n${LAUNCH_USAGE}`);
  }
  if (values.help) return 'help';
  const given = configDirOf(values.config);
  if (!existsSync(join(given, 'dlp.yaml'))) throw new LaunchError(`${given} holds no dlp.yaml: give the configuration directory with --config or DLP_CONFIG_DIR`);
  const configDir = realpathSync(given);
  const dataDir = dataDirOf(configDir, values.data);
  return { configDir, dataDir, harakaHome: join(dataDir, 'haraka'), check: values.check ?? false };
}

/** Everything that would stop the relay, checked before Haraka starts; returns the warnings. */
export async function preflight(plan: LaunchPlan): Promise<string[]> {
  const config = loadRelayConfig(plan.configDir, { dataDir: plan.dataDir });
  loadRosterFiles(config.rosterFiles);
  const { problems, warnings } = checkDeployment(config, readPluginList(plan.configDir));
  const key = await quarantineKeyProblem(config);
  if (key?.fatal) problems.push(key.text);
  else if (key) warnings.push(key.text);
  if (problems.length > 0) throw new LaunchError(`the relay cannot start:\n  - ${problems.join('\n  - ')}`);
  return warnings;
}

/**
 * A key that does not open the quarantine already there stops the relay (it could hold and
 * release nothing: the usual cause is a restore or a second relay without the key file). A
 * database that cannot be reached does not: the relay starts and answers holds 451 until it can.
 */
async function quarantineKeyProblem(config: DlpConfig): Promise<{ fatal: boolean; text: string } | undefined> {
  const { keyFile, database } = config.quarantine;
  if (!existsSync(keyFile)) return undefined; // made at first start, for a quarantine that is new too (else the check below refuses it then)
  try {
    const fit = await keyFitsQuarantine(database, loadOrCreateKey(keyFile, { create: false }).key);
    if (fit !== 'mismatch') return undefined;
    return { fatal: true, text: `${keyFile} is not the key the quarantine ${maskDatabaseUrl(database)} was written with: put back the key file it was written with (from the backup, or from the relay that shares the database)` };
  } catch (error) {
    return { fatal: false, text: `could not check the quarantine key against ${maskDatabaseUrl(database)} (${error instanceof Error ? error.message : String(error)}): held mail is answered 451 until the database can be used` };
  }
}

/** Makes `<data>/haraka` with its links (replacing links that point elsewhere, as after an upgrade or a move). */
export function prepareHarakaHome(plan: LaunchPlan): void {
  mkdirSync(plan.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(plan.dataDir, 0o700);
  mkdirSync(plan.harakaHome, { recursive: true, mode: 0o700 });
  const links: Record<string, string> = { config: plan.configDir, plugins: join(PACKAGE_ROOT, 'plugins'), dist: join(PACKAGE_ROOT, 'dist') };
  for (const [name, target] of Object.entries(links)) {
    const path = join(plan.harakaHome, name);
    let existing: string | undefined;
    try {
      existing = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : 'not a link';
    } catch {
      existing = undefined;
    }
    if (existing === target) continue;
    if (existing === 'not a link') throw new LaunchError(`${path} should be a link to ${target}, and is a file or directory: move it away`);
    if (existing !== undefined) unlinkSync(path);
    symlinkSync(target, path);
  }
}

/** Runs Haraka in this process with the prepared home. */
export function runHaraka(plan: LaunchPlan): void {
  process.env['HARAKA'] = plan.harakaHome;
  process.env['DLP_CONFIG_DIR'] = plan.configDir;
  process.env['DLP_DATA_DIR'] = plan.dataDir;
  const require = createRequire(import.meta.url);
  const harakaMain = require.resolve('haraka/haraka.js');
  process.argv[1] = harakaMain;
  require(harakaMain);
}

export async function launch(argv: readonly string[]): Promise<void> {
  const fail = (error: unknown): never => {
    process.stderr.write(`dlp relay: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  };
  let plan: LaunchPlan | 'help';
  let warnings: string[];
  try {
    plan = planLaunch(argv);
    if (plan === 'help') {
      process.stdout.write(LAUNCH_USAGE);
      return;
    }
    warnings = await preflight(plan);
  } catch (error) {
    return fail(error);
  }
  if (plan.check) {
    for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
    process.stdout.write(`The relay would start: configuration ${plan.configDir}, data ${plan.dataDir}.\n`);
    return;
  }
  try {
    prepareHarakaHome(plan);
  } catch (error) {
    return fail(error);
  }
  runHaraka(plan);
}
