/**
 * Attachment fixtures made at test time by the real tools (scripts/install-test-tools.sh):
 * LibreOffice converts text and CSV to docx/odt/xlsx/ods/pdf, qpdf encrypts PDFs, zip and
 * 7-Zip make archives.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import CFB from 'cfb';
import officeCrypto from 'officecrypto-tool';

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

  /** officecrypto-tool: an Office 2007+ file encrypted with a password (ECMA-376 agile encryption, as Office does it). */
  encryptOffice(source: string, name: string, password: string): string {
    writeFileSync(join(this.dir, name), officeCrypto.encrypt(this.read(source), { password }) as Buffer);
    return name;
  }

  /**
   * A LibreOffice .doc or .xls marked encrypted as Office marks it (no tool here writes
   * legacy encryption): the FIB's fEncrypted bit ([MS-DOC]), or a FILEPASS record after the
   * workbook's BOF ([MS-XLS]). Rewritten with the cfb package.
   */
  markLegacyEncrypted(source: string, name: string): string {
    const container = CFB.read(this.read(source), { type: 'buffer' });
    const word = CFB.find(container, 'WordDocument');
    if (word) {
      const fib = Buffer.from(word.content as Uint8Array);
      fib.writeUInt16LE(fib.readUInt16LE(0x0a) | 0x0100, 0x0a);
      word.content = fib;
    } else {
      const book = CFB.find(container, 'Workbook')!;
      const stream = Buffer.from(book.content as Uint8Array);
      const bofEnd = 4 + stream.readUInt16LE(2);
      const filePass = Buffer.from([0x2f, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00]);
      book.content = Buffer.concat([stream.subarray(0, bofEnd), filePass, stream.subarray(bofEnd)]);
      book.size = book.content.length;
    }
    writeFileSync(join(this.dir, name), CFB.write(container, { type: 'buffer' }) as Buffer);
    return name;
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
