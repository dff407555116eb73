/**
 * The systemd units a technician installs from deploy/: `systemd-analyze verify` finds nothing
 * to say about them (run on copies pointing at this checkout and this Node.js, since verify
 * checks that ExecStart's program exists), `systemd-analyze security` scores them, and the
 * settings the relay depends on are there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const UNITS = ['dlp-relay.service', 'dlp-backup.service', 'dlp-backup.timer'];
/** The relay's default grace period after SIGTERM (src/relay/plugin.ts). */
const STOP_GRACE_SECONDS = 25;

/** systemd-analyze, or a failure saying how to get it: these tests must not pass by not running. */
function systemdAnalyze(): string {
  const found = ['/usr/bin/systemd-analyze', ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'systemd-analyze'))].find((path) => existsSync(path));
  if (!found) {
    throw new Error('systemd-analyze is not installed, so the systemd units cannot be checked: on Debian or Ubuntu, apt-get install systemd (it provides /usr/bin/systemd-analyze)');
  }
  return found;
}

function analyze(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(systemdAnalyze(), args, { cwd, encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0', SYSTEMD_PAGER: '' } });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** The unit as shipped, with the install path and Node.js of this machine, so that verify can find the programs. */
function localCopy(name: string): string {
  return readFileSync(join(DEPLOY, name), 'utf8').replaceAll('/opt/dlp-relay', REPO_ROOT).replaceAll('/usr/bin/node', process.execPath);
}

/** `Key=value` lines of a unit (comments and section headers left out); a key set twice keeps both values. */
function settings(name: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(join(DEPLOY, name), 'utf8').split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) map.set(match[1]!, [...(map.get(match[1]!) ?? []), match[2]!]);
  }
  return map;
}

function seconds(value: string): number {
  const match = /^(\d+)(s|min)?$/.exec(value);
  if (!match) throw new Error(`not a time span this test reads: ${value}`);
  return Number(match[1]) * (match[2] === 'min' ? 60 : 1);
}

describe('deploy/ systemd units', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dlp-units-'));
    for (const name of UNITS) writeFileSync(join(dir, name), localCopy(name));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('systemd-analyze verify prints no error or warning about them', () => {
    const { status, output } = analyze(['verify', ...UNITS.map((name) => join(dir, name))], dir);
    console.log(`systemd-analyze verify ${UNITS.join(' ')}: exit ${status}, output: ${output || '(nothing)'}`);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('would catch a mistake: verify does complain about a bad setting and a missing program', () => {
    writeFileSync(join(dir, 'bad-setting.service'), localCopy('dlp-relay.service').replace('KillMode=mixed', 'KillMode=gently'));
    writeFileSync(join(dir, 'bad-program.service'), localCopy('dlp-relay.service').replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node'));
    expect(analyze(['verify', join(dir, 'bad-setting.service')], dir).output).toMatch(/bad-setting\.service:\d+: Failed to parse kill mode/);
    const missing = analyze(['verify', join(dir, 'bad-program.service')], dir);
    expect(missing.output).toMatch(/Command \/nonexistent\/node is not executable/);
    expect(missing.status).not.toBe(0);
  });

  it('systemd-analyze security rates the relay and the backup well (offline, no running systemd needed)', () => {
    for (const [name, most] of [['dlp-relay.service', 2.5], ['dlp-backup.service', 2.5]] as const) {
      const { status, output } = analyze(['security', '--offline=true', '--no-pager', join(dir, name)], dir);
      const score = /Overall exposure level for \S+: (\d+\.\d+) (\w+)/.exec(output);
      expect(score, `systemd-analyze security (exit ${status}) printed:\n${output}`).not.toBeNull();
      console.log(`systemd-analyze security --offline=true ${name}: ${score![1]} ${score![2]}`);
      expect(Number(score![1])).toBeLessThanOrEqual(most);
    }
  });

  it('runs bin/relay.js with Node.js as the unprivileged dlp user, stops it gracefully, and keeps what the relay needs', () => {
    const unit = settings('dlp-relay.service');
    const one = (key: string): string | undefined => unit.get(key)?.[0];
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/dlp-relay/bin/relay.js');
    expect(existsSync(join(REPO_ROOT, 'bin/relay.js'))).toBe(true);
    expect(unit.get('Environment')).toEqual(['DLP_CONFIG_DIR=/etc/dlp DLP_DATA_DIR=/var/lib/dlp']);
    expect([one('User'), one('Group')]).toEqual(['dlp', 'dlp']);
    expect([one('Restart'), one('RestartSec')]).toEqual(['on-failure', '5s']);
    // SIGTERM to the relay alone (it stops its own inspection processes); SIGKILL to all only after the timeout.
    expect([one('KillMode'), one('KillSignal')]).toEqual(['mixed', 'SIGTERM']);
    expect(seconds(one('TimeoutStopSec')!)).toBeGreaterThanOrEqual(STOP_GRACE_SECONDS + 15);
    expect([one('AmbientCapabilities'), one('CapabilityBoundingSet')]).toEqual(['CAP_NET_BIND_SERVICE', 'CAP_NET_BIND_SERVICE']);
    expect([one('ProtectSystem'), one('StateDirectory'), one('StateDirectoryMode'), one('ConfigurationDirectory'), one('ReadWritePaths'), one('UMask')]).toEqual([
      'strict',
      'dlp',
      '0700',
      'dlp',
      '/var/lib/dlp',
      '0077',
    ]);
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectClock', 'ProtectHostname', 'RestrictNamespaces', 'RestrictRealtime', 'RestrictSUIDSGID', 'LockPersonality']) {
      expect(one(key), key).toBe('true');
    }
    expect(one('SystemCallArchitectures')).toBe('native');
    // V8 compiles JavaScript into writable, executable memory: this setting would crash the relay.
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false);
    // Haraka lists the network interfaces at start-up (os.networkInterfaces(), which uses netlink).
    const harakaServer = readFileSync(createRequire(import.meta.url).resolve('haraka/server.js'), 'utf8');
    expect(harakaServer).toContain('os.networkInterfaces()');
    expect(one('RestrictAddressFamilies')!.split(' ').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  });

  it('the backup runs dlp backup into a new dated directory as dlp, nightly', () => {
    const unit = settings('dlp-backup.service');
    expect(unit.get('ExecStart')?.[0]).toBe(`/bin/sh -c 'exec /usr/bin/node /opt/dlp-relay/bin/dlp.js backup "/var/backups/dlp/$$(date +%%Y-%%m-%%d-%%H%%M)"'`);
    expect(existsSync(join(REPO_ROOT, 'bin/dlp.js'))).toBe(true);
    expect(unit.get('User')).toEqual(['dlp']);
    expect(unit.get('ReadWritePaths')).toEqual(['/var/lib/dlp /var/backups/dlp']);
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false);
    expect(settings('dlp-backup.timer').get('OnCalendar')).toEqual(['*-*-* 02:30:00']);
  });
});
