/**
 * `dlp reviewer …`: the IT manager's commands for review-queue accounts. They work on the
 * quarantine database that config/dlp.yaml names, so they reach the same accounts as every
 * relay sharing it. Passwords are read from standard input, never from the command line.
 */
import { parseArgs } from 'node:util';
import { configDirOf, loadConfig } from '../config/load.js';
import { loadOrCreateKey } from '../quarantine/sealed-box.js';
import { openQuarantineStore } from '../quarantine/store.js';
import { REVIEWER_ROLES, type QuarantineStore, type ReviewerRole } from '../quarantine/types.js';

export const REVIEWER_USAGE = `Usage:
  dlp reviewer add EMAIL --role dpo|viewer [--name "Display Name"]   (password on stdin)
  dlp reviewer password EMAIL                                        (new password on stdin)
  dlp reviewer disable EMAIL | enable EMAIL | remove EMAIL
  dlp reviewer list
Options: --config DIR (directory holding dlp.yaml; default $DLP_CONFIG_DIR, else the package's config/),
         --data DIR (the relay's data directory; default $DLP_DATA_DIR, else data/ beside the config directory).
Roles: dpo reviews and decides (release, reject, download); viewer reads the queue and audit log only.
Passwords: at least 12 characters, read from the first line of standard input, e.g.
  printf '%s\\n' "$PASSWORD" | dlp reviewer add dpo@example-trust.org.uk --role dpo
`;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function reviewerCommand(argv: string[], io: Output, stdin: () => Promise<string>): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, data: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.err(`dlp reviewer: ${error instanceof Error ? error.message : String(error)}\n${REVIEWER_USAGE}`);
    return 2;
  }
  const [action, username] = args.positionals;
  if (args.values.help || !action) {
    (args.values.help ? io.out : io.err)(REVIEWER_USAGE);
    return args.values.help ? 0 : 2;
  }
  if (action !== 'list' && (!username || !/^[^\s@]+@[^\s@]+$/.test(username))) {
    io.err(`dlp reviewer ${action}: give the reviewer's email address\n${REVIEWER_USAGE}`);
    return 2;
  }
  const role = args.values.role;
  if (action === 'add' && !REVIEWER_ROLES.includes(role as ReviewerRole)) {
    io.err(`dlp reviewer add: --role must be one of ${REVIEWER_ROLES.join(', ')}\n`);
    return 2;
  }

  let store: QuarantineStore;
  try {
    const config = loadConfig(configDirOf(args.values.config), args.values.data ? { dataDir: args.values.data } : {});
    const { key } = loadOrCreateKey(config.quarantine.keyFile, { create: true });
    store = await openQuarantineStore({ url: config.quarantine.database, key });
  } catch (error) {
    io.err(`dlp reviewer: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const who = username?.toLowerCase() ?? '';
  try {
    switch (action) {
      case 'add': {
        const password = firstLine(await stdin());
        await store.addReviewer({ username: who, displayName: args.values.name ?? who, role: role as ReviewerRole, password });
        await store.audit({ actor: 'cli', ip: '', action: 'reviewer-add', detail: `${who} as ${role}` });
        io.out(`Added ${who} (${role}).\n`);
        return 0;
      }
      case 'password': {
        if (!(await store.setPassword(who, firstLine(await stdin())))) return notFound(io, who);
        await store.audit({ actor: 'cli', ip: '', action: 'reviewer-password', detail: who });
        io.out(`Password changed for ${who}.\n`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        if (!(await store.setDisabled(who, action === 'disable'))) return notFound(io, who);
        await store.audit({ actor: 'cli', ip: '', action: `reviewer-${action}`, detail: who });
        io.out(`${action === 'disable' ? 'Disabled' : 'Enabled'} ${who}.\n`);
        return 0;
      }
      case 'remove': {
        if (!(await store.removeReviewer(who))) return notFound(io, who);
        await store.audit({ actor: 'cli', ip: '', action: 'reviewer-remove', detail: who });
        io.out(`Removed ${who}.\n`);
        return 0;
      }
      case 'list': {
        const reviewers = await store.reviewers();
        if (reviewers.length === 0) io.out('No reviewers yet: add one with dlp reviewer add.\n');
        for (const r of reviewers) io.out(`${r.username}\t${r.role}\t${r.disabled ? 'disabled' : 'enabled'}\t${r.displayName}\n`);
        return 0;
      }
      default:
        io.err(`dlp reviewer: unknown action "${action}"\n${REVIEWER_USAGE}`);
        return 2;
    }
  } catch (error) {
    io.err(`dlp reviewer ${action}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

function notFound(io: Output, who: string): number {
  io.err(`dlp reviewer: no reviewer ${who}\n`);
  return 1;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}
