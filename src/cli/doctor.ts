/**
 * `dlp doctor`: checks a deployment on the relay's machine and says, in plain English, what is
 * wrong and how to fix it. Every check is a function returning lines (src/cli/doctor/); this
 * module reads the options, loads the configuration, runs them in order and prints each line
 * as soon as it is known, so that a slow DNS server or smarthost never looks like a hang.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { configDirOf, PACKAGE_CONFIG_DIR, type DlpConfig } from '../config/load.js';
import { readPluginList } from '../relay/deployment-checks.js';
import { loadRelayConfig } from '../relay/relay-config.js';
import { fail, humanLine, jsonLine, ok, skip, type CheckResult, type CheckStatus } from './doctor/check-result.js';
import { checkDeploymentParts } from './doctor/deployment.js';
import { DnsLookup } from './doctor/dns-lookup.js';
import { checkDomainDns } from './doctor/domain-dns.js';
import { checkMailRoutes } from './doctor/mail-routes.js';
import { checkDatabase, checkDataDirectory, checkKeyFile, checkKeyFits } from './doctor/quarantine-checks.js';
import { checkRoster } from './doctor/roster-checks.js';
import { checkSources } from './doctor/source-checks.js';

export const DOCTOR_USAGE = `Usage:
  dlp doctor [--config DIR] [--data DIR] [--relay-ip ADDR] [--dns SERVER] [--json]

Checks the relay's deployment on this machine and says what is wrong and how to fix it:
dlp.yaml, Haraka's plugin list and TLS certificate, the roster, the quarantine key, data
directory and database, each source and its address list, the mail servers mail leaves for,
and the DNS (MX, SPF) of the trust's domains.
  --config DIR      directory holding dlp.yaml and Haraka's files (default: $DLP_CONFIG_DIR, else ${PACKAGE_CONFIG_DIR})
  --data DIR        the relay's data directory (default: $DLP_DATA_DIR, else data/ beside the config directory)
  --relay-ip ADDR   the relay's public address, when it delivers mail itself: is it in the domains' SPF records?
  --dns SERVER      ask this DNS server (IP, or IP:port) instead of dns.servers in dlp.yaml
  --json            one JSON object per check, one per line: {"check", "status", "message", "fix"}
Each line is OK, WARN (works, but should be put right), FAIL (must be put right) or SKIP (could not be checked, and why).
Exit status: 0 nothing failed, 1 something failed, 2 usage error or dlp.yaml cannot be loaded.
`;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function doctorCommand(argv: string[], io: Output, now = new Date()): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        'relay-ip': { type: 'string' },
        dns: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    io.err(`dlp doctor: ${error instanceof Error ? error.message : String(error)}\n${DOCTOR_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(DOCTOR_USAGE);
    return 0;
  }
  const relayIp = values['relay-ip'];
  if (relayIp !== undefined && isIP(relayIp) === 0) {
    io.err(`dlp doctor: --relay-ip ${relayIp} is not an IP address\n${DOCTOR_USAGE}`);
    return 2;
  }

  const counts: Record<CheckStatus, number> = { OK: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  const print = (results: readonly CheckResult[]): void => {
    for (const result of results) {
      counts[result.status] += 1;
      io.out(`${values.json ? jsonLine(result) : humanLine(result)}\n`);
    }
  };

  let config: DlpConfig;
  try {
    config = loadRelayConfig(configDirOf(values.config), values.data ? { dataDir: values.data } : {});
  } catch (error) {
    print([fail('configuration', error instanceof Error ? error.message : String(error), 'correct dlp.yaml where the message says (file, line and key), then run dlp doctor again to check the rest')]);
    return 2;
  }
  let dns: DnsLookup;
  try {
    dns = new DnsLookup({ ...(values.dns ? { servers: [values.dns] } : config.dns.servers ? { servers: config.dns.servers } : {}), timeoutMs: config.dns.timeoutMs });
  } catch (error) {
    io.err(`dlp doctor: --dns ${values.dns}: ${error instanceof Error ? error.message : String(error)}\n${DOCTOR_USAGE}`);
    return 2;
  }

  print([ok('configuration', `${config.configFile} loads (mode ${config.mode}, ${config.sources.length} source${config.sources.length === 1 ? '' : 's'}); the notice templates compile`)]);
  const plugins = readPluginList(config.configDir);
  const checks: Array<[string, () => CheckResult[] | Promise<CheckResult[]>]> = [
    ['deployment', () => checkDeploymentParts(config, plugins, now)],
    ['roster', () => checkRoster(config, now)],
    ['quarantine-key', () => [checkKeyFile(config)]],
    ['data-directory', () => [checkDataDirectory(config)]],
    ['database', async () => [await checkDatabase(config), await checkKeyFits(config)]],
    ['sources', () => checkSources(config, dns, now)],
    ['mail-route', () => checkMailRoutes(config, plugins)],
    ['dns', () => checkDomainDns(config, dns, relayIp)],
  ];
  for (const [name, check] of checks) {
    try {
      print(await check());
    } catch (error) {
      // A check that breaks must not hide the others: say so, and carry on.
      print([skip(name, `doctor could not finish this check: ${error instanceof Error ? error.message : String(error)}`)]);
    }
  }
  if (!values.json) {
    io.out(`\n${counts.OK} OK, ${counts.WARN} WARN, ${counts.FAIL} FAIL, ${counts.SKIP} SKIP${counts.FAIL > 0 ? ': put the FAIL lines right first' : ''}\n`);
  }
  return counts.FAIL > 0 ? 1 : 0;
}
