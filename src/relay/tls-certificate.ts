/**
 * The relay's TLS certificate, as Haraka's tls.ini names it (key/cert in [main], default
 * tls_key.pem and tls_cert.pem in the config directory): present, readable, in date and
 * matching its key, or start-up stops saying which. Expiry within two weeks is a warning
 * (in the log, on /healthz and in `dlp doctor`).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { iniList, readHarakaIni } from './haraka-ini.js';
import { isAbsolute, join } from 'node:path';
import { issueSentence, type Issue } from './issue.js';

export const CERTIFICATE_WARN_DAYS = 14;
const DAY_MS = 86_400_000;
const ALLOWED_MIN_VERSIONS = ['TLSv1.2', 'TLSv1.3'];
const DEFAULT_KEY = 'tls_key.pem';
const DEFAULT_CERT = 'tls_cert.pem';

export interface TlsIniSettings {
  keyFiles: string[];
  certFiles: string[];
  minVersion?: string;
  /** tls.ini names a key or certificate other than Haraka's default files (so a missing file is an error, not "no TLS"). */
  explicit: boolean;
}

export type CertificateCheck =
  | { state: 'none'; certPath: string; keyPath: string }
  | { state: 'ok'; certPath: string; names: string[]; notAfter: Date; daysLeft: number; warning?: string; renewal?: Issue }
  | { state: 'invalid'; problem: string; issue: Issue };

function invalid(finding: string, fix: string): CertificateCheck & { state: 'invalid' } {
  const issue = { finding, fix };
  return { state: 'invalid', problem: issueSentence(issue), issue };
}

/** [main] key, cert and minVersion of Haraka's tls.ini (`key[]=` lists too); missing file: Haraka's defaults. */
export function readTlsIni(configDir: string): TlsIniSettings {
  const main = readHarakaIni(join(configDir, 'tls.ini'))['main'];
  const minVersion = iniList(main, 'minVersion')[0];
  const settings: TlsIniSettings = { keyFiles: iniList(main, 'key'), certFiles: iniList(main, 'cert'), explicit: false, ...(minVersion ? { minVersion } : {}) };
  if (settings.keyFiles.length === 0) settings.keyFiles.push(DEFAULT_KEY);
  if (settings.certFiles.length === 0) settings.certFiles.push(DEFAULT_CERT);
  settings.explicit = settings.keyFiles.some((f) => f !== DEFAULT_KEY) || settings.certFiles.some((f) => f !== DEFAULT_CERT);
  return settings;
}

/**
 * The certificate STARTTLS would offer. `none`: no certificate is configured (tls.ini names
 * none and Haraka's default files are absent). `invalid`: one is configured but cannot work.
 */
export function checkTlsCertificate(configDir: string, now = new Date()): CertificateCheck {
  const settings = readTlsIni(configDir);
  if (settings.minVersion && !ALLOWED_MIN_VERSIONS.includes(settings.minVersion)) {
    return invalid(`${join(configDir, 'tls.ini')}: minVersion=${settings.minVersion} allows protocols with known weaknesses`, 'set minVersion=TLSv1.2 (or TLSv1.3)');
  }
  const path = (name: string): string => (isAbsolute(name) ? name : join(configDir, name));
  const certPath = path(settings.certFiles[0]!);
  const keyPath = path(settings.keyFiles[0]!);
  if (!settings.explicit && !existsSync(certPath) && !existsSync(keyPath)) return { state: 'none', certPath, keyPath };
  if (settings.keyFiles.length !== settings.certFiles.length) {
    return invalid(`${join(configDir, 'tls.ini')} names ${settings.keyFiles.length} key file(s) and ${settings.certFiles.length} certificate file(s)`, 'give one key for each certificate');
  }
  let first: (CertificateCheck & { state: 'ok' }) | undefined;
  for (const [i, certName] of settings.certFiles.entries()) {
    const checked = checkPair(path(certName), path(settings.keyFiles[i]!), now);
    if (checked.state !== 'ok') return checked;
    first ??= checked;
  }
  return first!;
}

function checkPair(certPath: string, keyPath: string, now: Date): CertificateCheck {
  const read = (file: string, what: string): Buffer | CertificateCheck => {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT'
        ? invalid(`the TLS ${what} ${file} is missing`, `put the ${what} there (PEM), or name the right file in tls.ini`)
        : invalid(`the TLS ${what} ${file} cannot be read (${code ?? String(error)})`, "the relay's user must be able to read it");
    }
  };
  const certBytes = read(certPath, 'certificate');
  if (!Buffer.isBuffer(certBytes)) return certBytes;
  const keyBytes = read(keyPath, 'key');
  if (!Buffer.isBuffer(keyBytes)) return keyBytes;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certBytes);
  } catch (error) {
    return invalid(
      `the TLS certificate ${certPath} is not a PEM certificate (${error instanceof Error ? error.message : String(error)})`,
      'put the certificate there in PEM form (-----BEGIN CERTIFICATE-----), followed by any intermediate certificates',
    );
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(keyBytes))) {
      return invalid(`the TLS key ${keyPath} does not belong to the certificate ${certPath}`, 'they must be from the same certificate request');
    }
  } catch (error) {
    return invalid(`the TLS key ${keyPath} cannot be used (${error instanceof Error ? error.message : String(error)})`, 'it must be an unencrypted PEM private key');
  }
  const notAfter = new Date(certificate.validTo);
  const notBefore = new Date(certificate.validFrom);
  const renew = `renew it, and put the new certificate in ${certPath} and its key in ${keyPath}`;
  if (notAfter.getTime() <= now.getTime()) return invalid(`the TLS certificate ${certPath} expired on ${notAfter.toISOString().slice(0, 10)}`, renew);
  if (notBefore.getTime() > now.getTime()) {
    return invalid(`the TLS certificate ${certPath} is not valid until ${notBefore.toISOString()}`, "check this machine's clock, or use a certificate that is valid now");
  }
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const names = certificateNames(certificate);
  const renewal: Issue = { finding: `the TLS certificate ${certPath} expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${notAfter.toISOString().slice(0, 10)})`, fix: renew };
  return { state: 'ok', certPath, names, notAfter, daysLeft, ...(daysLeft < CERTIFICATE_WARN_DAYS ? { warning: issueSentence(renewal), renewal } : {}) };
}

function certificateNames(certificate: X509Certificate): string[] {
  const san = certificate.subjectAltName ?? '';
  const dns = [...san.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!);
  if (dns.length > 0) return dns;
  const cn = /CN=([^\n,]+)/.exec(certificate.subject)?.[1];
  return cn ? [cn] : [];
}
