/**
 * Where mail leaves the relay for: delivery.smarthost (or queue/smtp_forward's), quarantine.release_via
 * for released messages, notifications.submission for the relay's own emails. Each must
 * answer as a mail server; with none of them, Haraka delivers by MX itself.
 */
import { join } from 'node:path';
import type { DlpConfig } from '../../config/load.js';
import { iniList, readHarakaIni } from '../../relay/haraka-ini.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';
import { probeSmtp } from './smtp-probe.js';

export const SMTP_PROBE_TIMEOUT_MS = 5_000;
const HARAKA_TRUE = /^(true|yes|ok|enabled|on|1)$/i;

interface MailRoute {
  host: string;
  port: number;
  /** What goes this way: "the smarthost (smtp_forward.ini)", "released messages (quarantine.release_via)". */
  purposes: string[];
  secure: boolean;
  /** The relay logs in here, so its password must not cross the network in clear. */
  withPassword: boolean;
}

export async function checkMailRoutes(config: DlpConfig, plugins: readonly string[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const routes: MailRoute[] = [];
  const add = (route: Omit<MailRoute, 'purposes'>, purpose: string): void => {
    const same = routes.find((r) => r.host.toLowerCase() === route.host.toLowerCase() && r.port === route.port && r.secure === route.secure);
    if (same) {
      same.purposes.push(purpose);
      same.withPassword ||= route.withPassword;
    } else routes.push({ ...route, purposes: [purpose] });
  };

  if (plugins.includes('queue/smtp_forward')) {
    const iniPath = join(config.configDir, 'smtp_forward.ini');
    const section = readHarakaIni(iniPath)['main'];
    const main = { host: iniList(section, 'host').at(-1), port: iniList(section, 'port').at(-1), auth_user: iniList(section, 'auth_user').at(-1), enable_outbound: iniList(section, 'enable_outbound').at(-1) };
    if (!main.host) {
      results.push(fail('smarthost', `${join(config.configDir, 'plugins')} lists queue/smtp_forward, and ${iniPath} names no host`, `set host= and port= in ${iniPath}, or remove queue/smtp_forward from plugins to deliver by MX`));
    } else if (!isPort(main.port ?? '25')) {
      results.push(fail('smarthost', `${iniPath}: port=${main.port} is not a port number`, `set port= in ${iniPath} to the smarthost's port (25, or 587 for submission)`));
    } else {
      add({ host: main.host, port: Number(main.port ?? 25), secure: false, withPassword: Boolean(main.auth_user) }, 'the smarthost (smtp_forward.ini)');
      if (!HARAKA_TRUE.test(main.enable_outbound ?? '')) {
        results.push(
          warn(
            'smarthost',
            `${iniPath} does not set enable_outbound=true, so Haraka delivers relayed mail by MX rather than through ${main.host}:${main.port ?? 25}`,
            `add enable_outbound=true to ${iniPath}`,
          ),
        );
      }
    }
  }
  const smarthost = config.delivery.smarthost;
  if (smarthost) add({ ...smarthost, secure: false, withPassword: false }, 'delivered mail (delivery.smarthost)');
  const release = config.quarantine.releaseVia;
  if (release) add({ ...release, secure: false, withPassword: false }, 'released messages (quarantine.release_via)');
  const submission = config.notifications?.submission;
  if (submission) {
    add({ host: submission.host, port: submission.port, secure: submission.secure, withPassword: submission.user !== undefined }, "the relay's own emails (notifications.submission)");
  }

  if (routes.length === 0 && results.length === 0) {
    return [ok('mail-route', "delivered by MX from Haraka's queue: no smarthost, release_via or submission server is set")];
  }
  for (const route of routes) results.push(await checkRoute(route));
  return results;
}

async function checkRoute(route: MailRoute): Promise<CheckResult> {
  const where = `${route.host}:${route.port}`;
  const check = `mail-route:${where}`;
  const what = `${where}, for ${route.purposes.join(' and ')}`;
  const probe = await probeSmtp(route.host, route.port, { timeoutMs: SMTP_PROBE_TIMEOUT_MS, secure: route.secure });
  const fixReach = `check that ${route.host} is the right name and ${route.port} the right port, that the server is running, and that a firewall lets this machine reach it`;
  if (!probe.answered) return fail(check, `${what}: cannot be reached (${probe.reason})`, fixReach);
  const greeting = `${probe.greeting.code} ${probe.greeting.lines[0] ?? ''}`.trim();
  if (probe.greeting.code !== 220) return fail(check, `${what}: answered "${greeting}" instead of a 220 greeting, so it takes no mail from this machine`, `ask the server's administrator to accept mail from this machine's address`);
  if (probe.ehlo?.code !== 250) {
    return warn(check, `${what}: greeted "${greeting}" but refused EHLO (${probe.ehlo ? `${probe.ehlo.code} ${probe.ehlo.lines[0] ?? ''}` : 'no reply'})`, `ask the server's administrator to accept EHLO from this machine`);
  }
  const tls = route.secure ? 'TLS from the start (port 465 style)' : probe.startTls ? 'STARTTLS offered' : 'STARTTLS not offered';
  if (route.withPassword && !route.secure && !probe.startTls) {
    return warn(check, `${what}: answered "${greeting}"; STARTTLS not offered, so the relay's password would cross the network unencrypted`, `turn on STARTTLS on ${route.host}, or use its implicit-TLS port (465, with secure: true)`);
  }
  return ok(check, `${what}: answered "${greeting}"; ${tls}`);
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}
