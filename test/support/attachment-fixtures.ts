/**
 * Attachment fixtures made at test time by the real tools (scripts/install-test-tools.sh):
 * LibreOffice converts text and CSV to docx/odt/xlsx/ods/pdf and saves with passwords, qpdf
 * encrypts PDFs, officecrypto-tool encrypts Office 2007+ files, zip and 7-Zip make archives.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import officeCrypto from 'officecrypto-tool';
import { fileURLToPath } from 'node:url';

const SUPPORT_DIR = fileURLToPath(new URL('.', import.meta.url));

export const PUPIL_REPORT = 'Pupil report\nJane Smith, DOB 04/02/2015, has an EHCP and sees the school nurse about her asthma.\n';
export const CLASS_LIST = 'Forename,Surname,UPN\nJane,Smith,H801200001001\nGrace,Hall,B801200005001\n';

/** A school timetable as CSV, `rows` lessons long: deliverable (no names, no identifiers), and as large as wanted. */
export function timetableCsv(rows: number): string {
  return ['Room,Day,Period,Subject,Teacher,Group,Notes,Week']
    .concat(Array.from({ length: rows }, (_, i) => `R${i % 40},${['Mon', 'Tue', 'Wed', 'Thu', 'Fri'][i % 5]},${i % 6},Maths ${i % 13},T${i % 90},G${i % 30},Bring calculator ${i},${i % 2 ? 'A' : 'B'}`))
    .join('\n');
}

export class FixtureMaker {
  readonly dir = mkdtempSync(join(tmpdir(), 'dlp-attachments-'));

  file(name: string, content: string | Buffer): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  read(name: string): Buffer {
    return readFileSync(join(this.dir, name));
  }

  /** LibreOffice headless: `source` converted to `format` (docx, odt, xlsx, ods); returns the new file's name. */
  convert(source: string, format: string): string {
    const profile = join(this.dir, 'lo-profile');
    mkdirSync(profile, { recursive: true });
    execFileSync('soffice', [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', format, '--outdir', this.dir, join(this.dir, source)], {
      stdio: 'ignore',
      timeout: 60_000,
    });
    return source.replace(/\.[^.]+$/, `.${format}`);
  }

  /** `zip` (Info-ZIP); with a password, ZipCrypto. */
  zip(name: string, members: string[], password?: string): string {
    execFileSync('zip', ['-q', '-j', ...(password ? ['-P', password] : []), join(this.dir, name), ...members.map((m) => join(this.dir, m))]);
    return name;
  }

  /** qpdf: a copy of a PDF encrypted (AES-256) with these user and owner passwords; an empty user password opens for anyone. */
  encryptPdf(source: string, name: string, userPassword: string, ownerPassword: string): string {
    execFileSync('qpdf', ['--encrypt', userPassword, ownerPassword, '256', '--', join(this.dir, source), join(this.dir, name)]);
    return name;
  }

  /**
   * LibreOffice saving `source` with a password, through its UNO API (office-encrypt.py,
   * Debian's python3-uno): OpenDocument, Word/Excel 97-2003 and 2007+ encryption as
   * LibreOffice writes it.
   */
  saveWithPassword(source: string, name: string, filter: string, password: string): string {
    const profile = join(this.dir, 'lo-uno-profile');
    mkdirSync(profile, { recursive: true });
    execFileSync('/usr/bin/python3', [join(SUPPORT_DIR, 'office-encrypt.py'), join(this.dir, source), join(this.dir, name), filter, password, profile], {
      stdio: 'ignore',
      timeout: 120_000,
    });
    return name;
  }

  /** officecrypto-tool: an Office 2007+ file encrypted with a password (ECMA-376 agile encryption, as Office does it). */
  encryptOffice(source: string, name: string, password: string): string {
    writeFileSync(join(this.dir, name), officeCrypto.encrypt(this.read(source), { password }) as Buffer);
    return name;
  }

  /** OpenSSL: a whole S/MIME message (enveloped-data, AES-256) to a throwaway certificate. */
  smimeMessage(headers: string, body: string): Buffer {
    const key = join(this.dir, 'smime-key.pem');
    const cert = join(this.dir, 'smime-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=recipient'], { stdio: 'ignore' });
    const encrypted = execFileSync('openssl', ['smime', '-encrypt', '-aes256', cert], { input: body });
    return Buffer.concat([Buffer.from(headers.replace(/\r?\n/g, '\r\n')), encrypted]);
  }

  /** GnuPG: text encrypted with a passphrase, ASCII-armoured ("-----BEGIN PGP MESSAGE-----"). */
  pgpArmour(text: string, passphrase: string): string {
    const home = join(this.dir, 'gnupg');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    try {
      return execFileSync('gpg', ['--batch', '--quiet', '--homedir', home, '--pinentry-mode', 'loopback', '--passphrase', passphrase, '--symmetric', '--armor', '--output', '-'], {
        input: text,
      }).toString();
    } finally {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' }); // gpg starts an agent; do not leave it running
    }
  }

  /** 7-Zip: a 7z archive; with a password, AES-256, and with `hideNames` the file names too. */
  sevenZip(name: string, members: string[], password?: string, hideNames = false): string {
    const args = ['a', '-t7z', ...(password ? [`-p${password}`] : []), ...(hideNames ? ['-mhe=on'] : []), join(this.dir, name), ...members.map((m) => join(this.dir, m))];
    execFileSync('7z', args, { stdio: 'ignore' });
    return name;
  }

  /** 7-Zip making a zip with AES-256 encryption. */
  zipAes(name: string, members: string[], password: string): string {
    execFileSync('7z', ['a', '-tzip', '-mem=AES256', `-p${password}`, join(this.dir, name), ...members.map((m) => join(this.dir, m))], { stdio: 'ignore' });
    return name;
  }
}

export interface AttachedFile {
  name: string;
  content: Buffer;
  contentType?: string;
  contentDisposition?: 'attachment' | 'inline';
}

/** A message from a member of staff with these attachments, built by nodemailer's MIME composer. */
export function messageWith(to: string, attachments: readonly AttachedFile[], text = 'Please see the attached file.', subject = 'Please see attached'): Promise<Buffer> {
  return new MailComposer({
    from: 's.jones@example-trust.org.uk',
    to,
    subject,
    text,
    attachments: attachments.map((a) => ({
      filename: a.name,
      content: a.content,
      ...(a.contentType ? { contentType: a.contentType } : {}),
      ...(a.contentDisposition ? { contentDisposition: a.contentDisposition } : {}),
    })),
  })
    .compile()
    .build();
}
