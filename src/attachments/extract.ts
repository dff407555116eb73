/**
 * Opens every attachment as what it really is (file-type reads its bytes; the name and the
 * declared type are only compared against that), extracts its text for the personal-data
 * detectors, and walks into archives and attached messages within the configured limits.
 * Nothing here throws for bad input: damage and limits become `unscannable`, encryption
 * becomes `encrypted`, and the detectors turn both into findings.
 */
import { extname } from 'node:path';
import { fileTypeFromBuffer, supportedExtensions } from 'file-type';
import type { AttachmentLimits } from '../config/settings.js';
import type { AttachmentSummary, ExtractedPart } from '../engine/types.js';
import { decodeTextBytes } from '../text/decode-bytes.js';
import { htmlAsText } from '../text/html-text.js';
import { parsingLimitOf } from '../engine/normalise.js';
import { inspectCompoundFile, PGP_MESSAGE, rtfText, sevenZipEncryption } from './containers.js';
import { csvAsText } from './csv-text.js';
import { officeXmlText, sharedStrings, textParts, worksheetText, xmlText } from './office-text.js';
import { pdfText } from './pdf.js';
import { openZip, ZipLimitError, type ZipArchive, type ZipEntry } from './zip.js';

export type { AttachmentLimits, ExtractedPart };

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
  // Templates and macro-enabled documents are the same packages.
  docx: ['docm', 'dotx', 'dotm'],
  xlsx: ['xlsm', 'xltx', 'xltm'],
  pptx: ['pptm', 'potx', 'potm', 'ppsx', 'ppsm'],
  odt: ['ott'],
  ods: ['ots'],
  odp: ['otp'],
  // An OLE compound file: legacy Office, Outlook .msg, and any Office 2007+ file once encrypted.
  cfb: ['doc', 'dot', 'xls', 'xlt', 'ppt', 'pot', 'msg', 'docx', 'xlsx', 'pptx'],
};
const OFFICE_ZIPS = new Set(['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp']);
const ODF_TYPES = new Set(['odt', 'ods', 'odp']);
// Archives and compressed files with no well-kept reader here: never passed unread.
const UNOPENED_CONTAINERS = new Set(['tar', 'gz', 'bz2', 'xz', 'rar', 'cab', 'zst', 'lz', 'lzh', 'arj', 'Z', 'cpio', 'ar', 'deb', 'rpm', 'iso', 'dmg', 'vhd', 'vhdx', 'lz4', 'ace', 'alz', 'apk', 'msi']);
const UNOPENED_MIME = /gzip|x-tar|x-bzip|x-xz|rar|cab|zstd|x-compress|x-lzip|x-7z|x-iso|x-apple-diskimage|x-rpm|x-deb|msi/;
const LEGACY_NAMES = { doc: 'Word', xls: 'Excel', ppt: 'PowerPoint' } as const;
// Text formats file-type names for themselves: a meeting invitation's description is read like any text.
const TEXT_FORMATS = new Set(['ics', 'vcf']);

/** TNEF's signature, 0x223E9F78 little-endian. */
function isTnef(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x78 && bytes[1] === 0x9f && bytes[2] === 0x3e && bytes[3] === 0x22;
}

/** Past 1 MB inflated, an entry that expands more than the allowed ratio: small highly repetitive files are left to the extraction allowance. */
function isBomb(entry: ZipEntry, maxRatio: number): boolean {
  return entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize / Math.max(1, entry.compressedSize) > maxRatio;
}

// The parts of an Office or OpenDocument package; anything else in the zip is read as a file of its own.
const OFFICE_PACKAGE_PART =
  /^(?:\[Content_Types\]\.xml|_rels\/|docProps\/|customXml\/|word\/|xl\/|ppt\/|META-INF\/|Configurations2\/|Pictures\/|Thumbnails\/|Object \d+\/|mimetype$|content\.xml$|styles\.xml$|meta\.xml$|settings\.xml$|manifest\.rdf$)/;

/** A zip by its signature, whatever file-type calls it (xlsm, docm, epub, jar...). */
function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06);
}

/** The CMS content type of an S/MIME body: DER OIDs 1.2.840.113549.1.7.2 (signed) or .3 (enveloped). */
function cmsContentType(bytes: Buffer): 'signed' | 'enveloped' | 'unknown' {
  const head = bytes.subarray(0, 64);
  const oid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07]);
  const at = head.indexOf(oid);
  if (at < 0) return 'unknown';
  return head[at + oid.length] === 0x02 ? 'signed' : head[at + oid.length] === 0x03 ? 'enveloped' : 'unknown';
}

export class AttachmentWalker {
  private extracted = 0;
  private readonly deadline: number;
  private readonly paths = new Set<string>();
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
          path: this.uniquePath(`${prefix}${attachment.filename || `attachment-${index + 1}`}`),
          depth,
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
    const part: ExtractedPart = { path: this.uniquePath(path), depth, trueType: 'unknown', declaredType, size: bytes.length, text: '', entryNames: [] };
    this.parts.push(part);
    if (Date.now() > this.deadline) {
      part.unscannable = { description: `the ${this.limits.maxMillis} ms for reading this message's attachments ran out before it`, evidence: 'over-limit' };
      return;
    }
    if (bytes.length > this.limits.maxAttachmentBytes) {
      part.unscannable = { description: `it is ${bytes.length} bytes, over the ${this.limits.maxAttachmentBytes}-byte limit for inspection`, evidence: 'over-limit' };
      return;
    }
    const detected = await fileTypeFromBuffer(bytes).catch(() => undefined);
    const nameExt = extname(path).slice(1).toLowerCase();
    const isMessage = declaredMessage || declaredType === 'message/rfc822' || nameExt === 'eml';
    setTrueType(part, detected?.ext ?? (isMessage ? 'eml' : looksLikeText(bytes) ? 'text' : 'unknown'), nameExt);

    try {
      if (/^application\/(x-)?pkcs7-mime$/.test(declaredType) || nameExt === 'p7m') {
        const cms = cmsContentType(bytes);
        if (cms === 'signed') {
          part.unscannable = { description: 'it is an S/MIME signed message, which is not opened for inspection', evidence: 'unopened-container' };
        } else part.encrypted = { description: 'S/MIME encrypted message', evidence: 'smime' };
      } else if (declaredType === 'application/pgp-encrypted' || (!isZip(bytes) && PGP_MESSAGE.test(bytes.subarray(0, 4096).toString('latin1')))) {
        part.encrypted = { description: 'PGP encrypted message', evidence: 'pgp' };
      } else if (isZip(bytes)) await this.openZipPart(part, bytes, depth, nameExt);
      else if (part.trueType === 'cfb') {
        const compound = inspectCompoundFile(bytes);
        if (compound.kind === 'encrypted') part.encrypted = { description: compound.description, evidence: compound.evidence };
        else {
          const what = compound.kind === 'legacy-office' ? `a ${LEGACY_NAMES[compound.format]} 97-2003 file` : 'an OLE compound file (an Outlook .msg, say)';
          part.unscannable = { description: `it is ${what}, which is not read: save it in the current format, or encrypt it`, evidence: 'unopened-container' };
        }
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
      } else if (isTnef(bytes) || /^application\/(?:vnd\.)?ms-tnef$/.test(declaredType)) {
        part.unscannable = { description: "it is an Outlook winmail.dat (TNEF), which holds the message's attachments and is not opened for inspection", evidence: 'unopened-container' };
      } else if (UNOPENED_CONTAINERS.has(part.trueType) || UNOPENED_MIME.test(detected?.mime ?? '')) {
        part.unscannable = { description: `it is a ${part.trueType} archive, which is not opened for inspection: send the files as they are, or as a zip`, evidence: 'unopened-container' };
      } else if (part.trueType === 'rtf') {
        part.text = rtfText(bytes.toString('latin1'));
      } else if (part.trueType === 'pdf') {
        const pdf = await pdfText(bytes, this.deadline);
        if (pdf.encrypted) part.encrypted = { description: 'PDF that needs a password to open', evidence: 'pdf-user-password' };
        else if (pdf.timedOut) part.unscannable = { description: `it took more than ${this.limits.maxMillis} ms to read`, evidence: 'over-limit' };
        else part.text = pdf.text;
      } else if (part.trueType === 'eml') await this.openMessage(part, bytes, depth);
      else if (part.trueType === 'text' || part.trueType === 'xml' || TEXT_FORMATS.has(part.trueType)) {
        // Whatever its name, text is read: a CSV renamed .dat, a Common Transfer File (.xml).
        const text = decodeTextBytes(bytes).text;
        if (nameExt === 'csv' || /^text\/csv|^application\/csv/.test(declaredType)) part.text = csvAsText(text);
        else if (nameExt === 'html' || nameExt === 'htm' || declaredType === 'text/html' || /^\s*<(?:!doctype html|html)\b/i.test(text)) part.text = htmlAsText(text);
        else if (part.trueType === 'xml' || /^\s*<\?xml\b/.test(text)) part.text = xmlText(text);
        else part.text = text;
      }
    } catch (error) {
      const messageLimit = parsingLimitOf(error);
      part.unscannable =
        error instanceof ZipLimitError
          ? { description: `it is over a limit: ${error.message}`, evidence: 'over-limit' }
          : messageLimit
            ? { description: `it is an attached message over the limits for inspection: ${messageLimit}`, evidence: 'over-limit' }
            : { description: `it is damaged or not what it claims to be (${describe(error)})`, evidence: 'damaged' };
    }
  }

  /** Past the nesting limit a container is unscannable and not opened. */
  private tooDeep(part: ExtractedPart, depth: number): boolean {
    if (depth < this.limits.maxDepth) return false;
    part.unscannable = { description: `it is nested ${depth + 1} deep, past the limit of ${this.limits.maxDepth}`, evidence: 'over-limit' };
    return true;
  }

  /** Two attachments with the same name get distinct paths ("list.csv (2)"), so that findings and rules keep them apart. */
  private uniquePath(path: string): string {
    let unique = path;
    for (let n = 2; this.paths.has(unique); n++) unique = `${path} (${n})`;
    this.paths.add(unique);
    return unique;
  }

  private async openZipPart(part: ExtractedPart, bytes: Buffer, depth: number, nameExt: string): Promise<void> {
    if (this.tooDeep(part, depth)) return;
    const zip = await openZip(bytes, this.limits.maxEntries);
    try {
      // file-type knows an Office file by the order of its first entries, which LibreOffice
      // does not follow: the entries themselves say what it is.
      const format = await this.officeFormat(zip);
      if (format && format !== part.trueType) setTrueType(part, format, nameExt);
      if (ODF_TYPES.has(part.trueType) && (await this.isEncryptedOdf(zip))) {
        part.encrypted = { description: 'OpenDocument file encrypted with a password', evidence: 'odf-encryption' };
      } else if (OFFICE_ZIPS.has(part.trueType)) {
        part.text = await this.officeText(part.trueType, zip);
        // Embedded files (a spreadsheet in a Word document) and anything that is not part of the
        // Office package itself are read like an archive's entries.
        const others = zip.entries.filter((e) => !e.isDirectory && (/\/embeddings\/[^/]+$/.test(e.name) || !OFFICE_PACKAGE_PART.test(e.name)));
        await this.entries(part, zip, others, depth);
      } else await this.archive(part, zip, depth);
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
    await this.entries(part, zip, files.filter((e) => !e.encrypted), depth);
  }

  /** Reads and visits entries; one over a limit makes the archive unscannable, and the others are still read. */
  private async entries(part: ExtractedPart, zip: ZipArchive, entries: readonly ZipEntry[], depth: number): Promise<void> {
    for (const entry of entries) {
      if (Date.now() > this.deadline) {
        part.unscannable = { description: `the ${this.limits.maxMillis} ms for reading this message's attachments ran out inside it`, evidence: 'over-limit' };
        return;
      }
      if (isBomb(entry, this.limits.maxCompressionRatio)) {
        const ratio = Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize));
        part.unscannable = { description: `${entry.name} expands ${ratio} times (limit ${this.limits.maxCompressionRatio}): a zip bomb`, evidence: 'over-limit' };
        continue;
      }
      try {
        const bytes = await zip.read(entry, this.budget(entry.uncompressedSize));
        this.extracted += bytes.length;
        await this.visit(`${part.path}/${entry.name}`, bytes, '', depth + 1);
      } catch (error) {
        if (!(error instanceof ZipLimitError)) throw error;
        part.unscannable = { description: `it is over a limit: ${error.message}`, evidence: 'over-limit' };
      }
    }
  }

  private async officeText(format: string, zip: ZipArchive): Promise<string> {
    const read = async (name: string): Promise<string> => {
      const entry = zip.entries.find((e) => e.name === name);
      if (!entry) return '';
      if (isBomb(entry, this.limits.maxCompressionRatio)) throw new ZipLimitError(`${name} expands more than ${this.limits.maxCompressionRatio} times`);
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
    if (this.tooDeep(part, depth)) return;
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

/** Records what the bytes are, and whether the name (its extension `nameExt`) says otherwise. */
function setTrueType(part: ExtractedPart, trueType: string, nameExt: string): void {
  part.trueType = trueType;
  const mismatch = typeMismatch(nameExt, trueType);
  if (mismatch) part.typeMismatch = mismatch;
  else delete part.typeMismatch;
}

function typeMismatch(nameExt: string, trueType: string): string | undefined {
  if (!nameExt || trueType === 'unknown' || nameExt === trueType) return undefined;
  if (SAME_KIND[trueType]?.includes(nameExt)) return undefined;
  // Text under a name that promises a binary format (a CSV renamed .jpg) is a disguise; under any other name it is just text.
  if (trueType === 'text') return BINARY_EXTENSIONS.has(nameExt) ? `named .${nameExt} but it is really text` : undefined;
  return `named .${nameExt} but it is really ${trueType}`;
}

const BINARY_EXTENSIONS = new Set<string>([...supportedExtensions].filter((ext) => !['xml', 'svg', 'txt', 'csv', 'html', 'htm', 'json', 'ics', 'vcf', 'rtf'].includes(ext)));

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
