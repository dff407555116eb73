/**
 * Attachment fixtures made at test time by the real tools (scripts/install-test-tools.sh):
 * LibreOffice converts text and CSV to docx/odt/xlsx/ods/pdf, qpdf encrypts PDFs, zip and
 * 7-Zip make archives.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PUPIL_REPORT = 'Pupil report\nJane Smith, DOB 04/02/2015, has an EHCP and sees the school nurse about her asthma.\n';
export const CLASS_LIST = 'Forename,Surname,UPN\nJane,Smith,H801200001001\nGrace,Hall,B801200005001\n';

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

  /** 7-Zip making a zip with AES-256 encryption. */
  zipAes(name: string, members: string[], password: string): string {
    execFileSync('7z', ['a', '-tzip', '-mem=AES256', `-p${password}`, join(this.dir, name), ...members.map((m) => join(this.dir, m))], { stdio: 'ignore' });
    return name;
  }
}
