import { parseArgs } from 'node:util';
import { configDirOf, loadConfig, PACKAGE_CONFIG_DIR } from '../config/load.js';
import { InspectionEngine } from '../engine/inspect.js';
import { describeRosterSummary, loadRoster, summariseRoster } from '../roster/source.js';
import { doctorCommand, DOCTOR_USAGE } from './doctor.js';
import { backupCommand, BACKUP_USAGE } from './backup.js';
import { restoreCommand, RESTORE_USAGE } from './restore.js';
import { reviewerCommand, REVIEWER_USAGE } from './reviewer.js';
import { humanReport, jsonLine, scanFile } from './scan.js';

const USAGE = `Usage:
  dlp scan [--config DIR] [--mail-from ADDR] [--rcpt ADDR]... [--json] FILE.eml...

Inspects saved messages exactly as the relay would, with the same engine and configuration.
  --config DIR      directory holding dlp.yaml (default: $DLP_CONFIG_DIR, else ${PACKAGE_CONFIG_DIR})
  --mail-from ADDR  envelope sender (default: the From: address)
  --rcpt ADDR       envelope recipient, repeatable (default: To:, Cc: and Bcc:)
  --json            one JSON object per file, one per line
Exit status: 0 every file inspected, 1 a file could not be read or parsed, 2 usage or configuration error.

${REVIEWER_USAGE}
${DOCTOR_USAGE}
${BACKUP_USAGE}
${RESTORE_USAGE}`;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

const STDIO: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** The `dlp` command. Returns the exit status. */
export async function main(argv: string[], io: Output = STDIO, stdin: () => Promise<string> = readStdin): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command === 'reviewer') return reviewerCommand(rest, io, stdin);
  if (command === 'doctor') return doctorCommand(rest, io);
  if (command === 'backup') return backupCommand(rest, io);
  if (command === 'restore') return restoreCommand(rest, io);
  if (command !== 'scan') {
    io.err(`dlp: ${command ? `unknown command "${command}"` : 'no command given'}\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        'mail-from': { type: 'string' },
        rcpt: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`dlp scan: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    io.out(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) {
    io.err(`dlp scan: no message files given\n${USAGE}`);
    return 2;
  }

  let engine: InspectionEngine;
  try {
    const config = loadConfig(configDirOf(args.values.config));
    const { roster, data } = loadRoster(config);
    // Bad roster rows go to stderr, so that --json output stays one object per line.
    if (data.problems.length > 0) io.err(describeRosterSummary(summariseRoster(data)).map((line) => `dlp scan: ${line}\n`).join(''));
    engine = new InspectionEngine(config, { roster });
  } catch (error) {
    io.err(`dlp scan: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  let status = 0;
  for (const file of args.positionals) {
    const result = await scanFile(engine, file, {
      ...(args.values['mail-from'] !== undefined ? { mailFrom: args.values['mail-from'] } : {}),
      rcptTo: args.values.rcpt ?? [],
    });
    if ('error' in result) status = 1;
    io.out(args.values.json ? `${jsonLine(result)}\n` : humanReport(result));
  }
  return status;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
