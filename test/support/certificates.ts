/**
 * Certificates made at test time with the openssl command: a certificate authority, and
 * server or client certificates it signs, with any validity window (openssl ca takes explicit
 * start and end dates, so an expired certificate is a real one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  cert: string;
  key: string;
}

export interface TestCa extends Pem {
  dir: string;
  /** Issues a certificate for `commonName` (also its DNS subjectAltName; `altNames` replaces that, "IP:127.0.0.1" for an address), valid from `notBefore` to `notAfter`. */
  issue(commonName: string, options?: { notBefore?: Date; notAfter?: Date; days?: number; altNames?: string[] }): Pem;
}

const openssl = (args: string[], cwd: string): string => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function opensslDate(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export function makeTestCa(name = 'DLP Test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-ca-'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = test\n[test]\ndir = ${dir}\ndatabase = ${dir}/index.txt\nserial = ${dir}/serial\nnew_certs_dir = ${dir}\n` +
      `certificate = ${dir}/ca.pem\nprivate_key = ${dir}/ca.key\ndefault_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = copy\n` +
      `[any]\ncommonName = supplied\n[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n`,
  );
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=${name}`], dir);
  let count = 0;
  return {
    dir,
    cert: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    key: readFileSync(join(dir, 'ca.key'), 'utf8'),
    issue(commonName, options = {}) {
      const base = `leaf-${++count}`;
      const altNames = options.altNames ?? [commonName];
      openssl(
        ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=${altNames.map((n) => (n.startsWith('IP:') ? n : `DNS:${n}`)).join(',')}`],
        dir,
      );
      const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
      const notAfter = options.notAfter ?? new Date(Date.now() + (options.days ?? 30) * 86_400_000);
      openssl(['ca', '-batch', '-config', 'ca.cnf', '-in', `${base}.csr`, '-out', `${base}.pem`, '-notext', '-startdate', opensslDate(notBefore), '-enddate', opensslDate(notAfter)], dir);
      return { cert: readFileSync(join(dir, `${base}.pem`), 'utf8'), key: readFileSync(join(dir, `${base}.key`), 'utf8') };
    },
  };
}
