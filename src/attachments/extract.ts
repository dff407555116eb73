/**
 * Opens every attachment as what it really is (file-type reads its bytes; the name and the
 * declared type are only compared against that), extracts its text for the personal-data
 * detectors, and walks into archives and attached messages within the configured limits.
 * Nothing here throws for bad input: damage and limits become `unscannable`, encryption
 * becomes `encrypted`, and the detectors turn both into findings.
 */
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { fileTypeFromBuffer } from 'file-type';
import type { AttachmentSummary } from '../engine/types.js';
import { decodeTextBytes } from '../text/decode-bytes.js';
import { htmlAsText } from '../engine/html-text.js';
import { inspectCompoundFile, PGP_MESSAGE, rtfText, sevenZipEncryption } from './containers.js';
import { officeXmlText, sharedStrings, textParts, worksheetText } from './office-text.js';
import { pdfText } from './pdf.js';
import { openZip, ZipLimitError, type ZipArchive } from './zip.js';

export interface AttachmentLimits {
  /** Largest message whose attachments are opened, in bytes; past it every attachment is unscannable. */
  maxMessageBytes: number;
  /** Largest attachment (or archive entry) inspected, in bytes. */
  maxAttachmentBytes: number;
  /** Most bytes inflated from archives in one message. */
  maxExtractedBytes: number;
  /** Deepest nesting of archives and attached messages. */
  maxDepth: number;
  /** Most entries in one archive. */
  maxEntries: number;
  /** Largest ratio of inflated to compressed size for one entry (zip bombs). */
  maxCompressionRatio: number;
  /**
   * Time for reading attachments in one message. Past it the attachment being read is
   * unscannable (and so held for a personal address) rather than the whole message
   * running into the inspection time budget and getting 451 on every retry.
   */
  maxMillis: number;
}

export interface ExtractedPart {
  /** `outer.zip/inner.docx`, as shown after `attachment:`. */
  path: string;
  /** What the bytes are (file-type's extension, `text` or `unknown`). */
  trueType: string;
  /** The type the message declared, or '' inside an archive. */
  declaredType: string;
  size: number;
  /** Text a reader would see; '' when there is none or it could not be read. */
  text: string;
  /** Names of entries (an encrypted zip still shows them): searched for pupil names too. */
  entryNames: string[];
  /** When a password is needed to open it: how it is encrypted, and the evidence id for the finding. */
  encrypted?: { description: string; evidence: string };
  /** Why it could not be inspected: damage, a limit, or a container that is not opened. */
  unscannable?: { description: string; evidence: 'over-limit' | 'damaged' | 'unopened-container' };
  /** The name or declared type says one thing and the bytes another. */
  typeMismatch?: string;
}

/** Parsing an attached message is the engine's job; the walker calls back for it. */
export type MessageReader = (raw: Buffer) => Promise<{ text: string; attachments: AttachmentSummary[] }>;

// Extensions that name the same kind of file as file-type's answer.
const SAME_KIND: Record<string, string[]> = {
  jpg: ['jpeg', 'jpe'],
  tif: ['tiff'],
  zip: ['zipx'],
  xml: ['xml', 'svg'],
  mp4: ['m4a', 'm4v'],
  eml: ['msg'],
  // An OLE compound file: legacy Office, Outlook .msg, and any Office 2007+ file once encrypted.
  cfb: ['doc', 'dot', 'xls', 'xlt', 'ppt', 'pot', 'msg', 'docx', 'xlsx', 'pptx'],
};
const TEXT_EXTENSIONS = new Set(['txt', 'csv', 'tsv', 'text', 'log', 'md', 'json', 'ics', 'vcf']);
const TEXT_TYPES = /^text\/(plain|csv|tab-separated-values|calendar|vcard)|^application\/(json|csv)/;
const OFFICE_ZIPS = new Set(['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp']);
const ODF_TYPES = new Set(['odt', 'ods', 'odp']);

export class AttachmentWalker {
  private extracted = 0;
  private readonly deadline: number;
  readonly parts: ExtractedPart[] = [];

  constructor(
    private readonly limits: AttachmentLimits,
    private readonly readMessage: MessageReader,
  ) {
    this.deadline = Date.now() + limits.maxMillis;
  }

  /** Opens each attachment; `messageSize` is the whole message's, checked against maxMessageBytes. */
  async walk(attachments: readonly AttachmentSummary[], prefix = '', depth = 0, messageSize = 0): Promise<void> {
    if (messageSize > this.limits.maxMessageBytes) {
      for (const [index, attachment] of attachments.entries()) {
        this.parts.push({
          path: `${prefix}${attachment.filename || `attachment-${index + 1}`}`,
          trueType: 'unknown',
          declaredType: attachment.contentType,
          size: attachment.size,
          text: '',
          entryNames: [],
          unscannable: { description: `the message is ${messageSize} bytes, over the ${this.limits.maxMessageBytes}-byte limit for inspecting attachments`, evidence: 'over-limit' },
        });
      }
      return;
    }
    for (const [index, attachment] of attachments.entries()) {
      const name = attachment.filename || `attachment-${index + 1}`;
      await this.visit(`${prefix}${name}`, attachment.content, attachment.contentType, depth, attachment.isMessage);
    }
  }

  private async visit(path: string, bytes: Buffer, declaredType: string, depth: number, declaredMessage = false): Promise<void> {
    const part: ExtractedPart = { path, trueType: 'unknown', declaredType, size: bytes.length, text: '', entryNames: [] };
    this.parts.push(part);
    if (bytes.length > this.limits.maxAttachmentBytes) {
      part.unscannable = { description: `it is ${bytes.length} bytes, over the ${this.limits.maxAttachmentBytes}-byte limit for inspection`, evidence: 'over-limit' };
      return;
    }
    const detected = await fileTypeFromBuffer(bytes).catch(() => undefined);
    const nameExt = extname(path).slice(1).toLowerCase();
    const isMessage = declaredMessage || declaredType === 'message/rfc822' || nameExt === 'eml';
    part.trueType = detected?.ext ?? (isMessage ? 'eml' : looksLikeText(bytes) ? 'text' : 'unknown');
    const mismatch = typeMismatch(nameExt, part.trueType);
    if (mismatch) part.typeMismatch = mismatch;

    try {
      if (/^application\/(x-)?pkcs7-mime$/.test(declaredType) || nameExt === 'p7m') {
        part.encrypted = { description: 'S/MIME encrypted message', evidence: 'smime' };
      } else if (declaredType === 'application/pgp-encrypted' || (part.trueType !== 'zip' && PGP_MESSAGE.test(bytes.subarray(0, 4096).toString('latin1')))) {
        part.encrypted = { description: 'PGP encrypted message', evidence: 'pgp' };
      } else if (part.trueType === 'zip' || OFFICE_ZIPS.has(part.trueType)) await this.openZipPart(part, bytes, depth);
      else if (part.trueType === 'cfb') {
        const compound = inspectCompoundFile(bytes);
        if (compound.kind === 'encrypted') part.encrypted = { description: compound.description, evidence: compound.evidence };
      } else if (part.trueType === '7z') {
        const sevenZip = sevenZipEncryption(bytes);
        if (sevenZip.encrypted) {
          part.encrypted = { description: `7z archive with AES encryption${sevenZip.namesHidden ? ', file names hidden too' : ''}`, evidence: '7z-aes' };
        } else {
          part.unscannable = {
            description: 'it is a 7z archive, which is not opened for inspection: send the files as they are, or as a zip',
            evidence: 'unopened-container',
          };
        }
      } else if (part.trueType === 'rtf') {
        part.text = rtfText(bytes.toString('latin1'));
      }
      else if (part.trueType === 'pdf') {
        const pdf = await pdfText(bytes, this.deadline);
        if (pdf.encrypted) part.encrypted = { description: 'PDF that needs a password to open', evidence: 'pdf-user-password' };
        else if (pdf.timedOut) part.unscannable = { description: `it took more than ${this.limits.maxMillis} ms to read`, evidence: 'over-limit' };
        else part.text = pdf.text;
      }
      else if (part.trueType === 'eml') await this.openMessage(part, bytes, depth);
      else if (part.trueType === 'text' && (TEXT_EXTENSIONS.has(nameExt) || TEXT_TYPES.test(declaredType) || !nameExt)) {
        const text = decodeTextBytes(bytes).text;
        part.text = nameExt === 'csv' || /^text\/csv|^application\/csv/.test(declaredType) ? csvAsText(text) : text;
      } else if (part.trueType === 'text' && (nameExt === 'html' || nameExt === 'htm' || declaredType === 'text/html')) {
        part.text = htmlAsText(decodeTextBytes(bytes).text);
      }
    } catch (error) {
      part.unscannable =
        error instanceof ZipLimitError
          ? { description: `it is over a limit: ${error.message}`, evidence: 'over-limit' }
          : { description: `it is damaged or not what it claims to be (${describe(error)})`, evidence: 'damaged' };
    }
  }

  private async openZipPart(part: ExtractedPart, bytes: Buffer, depth: number): Promise<void> {
    if (depth >= this.limits.maxDepth) {
      part.unscannable = { description: `it is nested ${depth + 1} deep, past the limit of ${this.limits.maxDepth}`, evidence: 'over-limit' };
      return;
    }
    const zip = await openZip(bytes, this.limits.maxEntries);
    try {
      // file-type knows an Office file by the order of its first entries, which LibreOffice
      // does not follow: the entries themselves say what it is.
      const format = await this.officeFormat(zip);
      if (format && format !== part.trueType) {
        part.trueType = format;
        const mismatch = typeMismatch(extname(part.path).slice(1).toLowerCase(), format);
        if (mismatch) part.typeMismatch = mismatch;
        else delete part.typeMismatch;
      }
      if (ODF_TYPES.has(part.trueType) && (await this.isEncryptedOdf(zip))) {
        part.encrypted = { description: 'OpenDocument file encrypted with a password', evidence: 'odf-encryption' };
      } else if (OFFICE_ZIPS.has(part.trueType)) part.text = await this.officeText(part.trueType, zip);
      else await this.archive(part, zip, depth);
    } finally {
      zip.close();
    }
  }

  private async archive(part: ExtractedPart, zip: ZipArchive, depth: number): Promise<void> {
    const files = zip.entries.filter((e) => !e.isDirectory);
    part.entryNames = files.map((e) => e.name);
    const encrypted = files.filter((e) => e.encrypted);
    if (encrypted.length > 0) {
      part.encrypted = {
        description: `zip archive with ${encrypted[0]!.encryption} encryption (${encrypted.length} of ${files.length} files)`,
        evidence: encrypted[0]!.encryption === 'AES' ? 'zip-aes' : 'zip-zipcrypto',
      };
    }
    for (const entry of files) {
      if (entry.encrypted) continue;
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (ratio > this.limits.maxCompressionRatio) {
        part.unscannable = { description: `${entry.name} expands ${Math.round(ratio)} times (limit ${this.limits.maxCompressionRatio}): a zip bomb`, evidence: 'over-limit' };
        return;
      }
      const bytes = await zip.read(entry, this.budget(entry.uncompressedSize));
      this.extracted += bytes.length;
      await this.visit(`${part.path}/${entry.name}`, bytes, '', depth + 1);
    }
  }

  private async officeText(format: string, zip: ZipArchive): Promise<string> {
    const read = async (name: string): Promise<string> => {
      const entry = zip.entries.find((e) => e.name === name);
      if (!entry) return '';
      // An Office file's XML inflates ten to twenty times: it counts against the message's
      // extraction allowance, not the size limit for one attachment.
      const bytes = await zip.read(entry, this.budget(entry.uncompressedSize, this.limits.maxExtractedBytes));
      this.extracted += bytes.length;
      return bytes.toString('utf8');
    };
    const strings = format === 'xlsx' ? sharedStrings(await read('xl/sharedStrings.xml')) : [];
    const texts: string[] = [];
    for (const entry of textParts(format, zip.entries)) {
      const xml = await read(entry.name);
      texts.push(format === 'xlsx' ? worksheetText(xml, strings) : officeXmlText(xml));
    }
    return texts.join('\n');
  }

  /** docx, xlsx, pptx by their main part; odt, ods, odp by their mimetype entry; undefined for any other zip. */
  private async officeFormat(zip: ZipArchive): Promise<string | undefined> {
    const has = (name: string): boolean => zip.entries.some((e) => e.name === name);
    if (has('[Content_Types].xml')) {
      if (has('word/document.xml')) return 'docx';
      if (has('xl/workbook.xml')) return 'xlsx';
      if (has('ppt/presentation.xml')) return 'pptx';
    }
    const mimetype = zip.entries.find((e) => e.name === 'mimetype' && e.uncompressedSize < 100);
    if (mimetype) {
      const type = (await zip.read(mimetype, 100)).toString('ascii').trim();
      return { 'application/vnd.oasis.opendocument.text': 'odt', 'application/vnd.oasis.opendocument.spreadsheet': 'ods', 'application/vnd.oasis.opendocument.presentation': 'odp' }[type];
    }
    return undefined;
  }

  /** OpenDocument encrypts each part itself; its manifest then lists the encryption data. */
  private async isEncryptedOdf(zip: ZipArchive): Promise<boolean> {
    const manifest = zip.entries.find((e) => e.name === 'META-INF/manifest.xml');
    if (!manifest) return false;
    const xml = (await zip.read(manifest, this.budget(manifest.uncompressedSize))).toString('utf8');
    return xml.includes('encryption-data');
  }

  private async openMessage(part: ExtractedPart, bytes: Buffer, depth: number): Promise<void> {
    if (depth >= this.limits.maxDepth) {
      part.unscannable = { description: `it is nested ${depth + 1} deep, past the limit of ${this.limits.maxDepth}`, evidence: 'over-limit' };
      return;
    }
    const message = await this.readMessage(bytes);
    part.text = message.text;
    await this.walk(message.attachments, `${part.path}/`, depth + 1);
  }

  /** How much more may be inflated from archives in this message; throws once it is spent. */
  private budget(wanted: number, cap = this.limits.maxAttachmentBytes): number {
    const left = this.limits.maxExtractedBytes - this.extracted;
    if (wanted > left) throw new ZipLimitError(`the message's archives hold more than ${this.limits.maxExtractedBytes} bytes`);
    return Math.min(left, cap);
  }
}

/** A CSV file as rows of tab-separated cells, so that "Jane,Smith" reads as two cells of one row. */
function csvAsText(text: string): string {
  try {
    const rows = parseCsv(text, { relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
    return rows.map((row) => row.join('\t')).join('\n');
  } catch {
    return text.replace(/,/g, '\t');
  }
}

/** Mostly printable, no NUL bytes in the first 8 KB: text in some 8-bit or UTF encoding. */
function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 8192);
  if (head.length === 0) return false;
  if (head[0] === 0xff && head[1] === 0xfe) return true;
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  }
  return control / head.length < 0.02;
}

function typeMismatch(nameExt: string, trueType: string): string | undefined {
  if (!nameExt || trueType === 'unknown' || nameExt === trueType) return undefined;
  if (SAME_KIND[trueType]?.includes(nameExt)) return undefined;
  if (trueType === 'text' && TEXT_EXTENSIONS.has(nameExt)) return undefined;
  if (trueType === 'text') return undefined; // plain text with an unfamiliar extension (.ini, .html...) is read as text elsewhere
  return `named .${nameExt} but it is really ${trueType}`;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
