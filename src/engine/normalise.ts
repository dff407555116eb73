import { simpleParser, type AddressObject } from 'mailparser';
import { decodeTextBytes } from '../text/decode-bytes.js';
import { decodeUtf7, DECLARES_UTF7 } from '../text/utf7.js';
import { htmlAsText, stripTags } from '../text/html-text.js';
import type { AttachmentSummary, HeaderLine, Mailbox, NormalisedMessage } from './types.js';

export { stripTags };

/** The message could not be parsed at all; the relay answers 4xx and the CLI reports it. */
export class MessageParseError extends Error {
  override readonly name: string = 'MessageParseError';
}

/** mailsplit's hard limits (MAX_CHILD_NODES, MAX_HEAD_SIZE), which it reports as EMAXLEN. */
const PARSER_LIMITS = 'it has more than 1000 MIME parts, or a header block over 1 MB';

/**
 * The message is over a hard limit of the MIME parser. The same bytes fail on every retry, so
 * the relay answers 5xx at once rather than 4xx until the sender's server gives up.
 */
export class MessageLimitError extends MessageParseError {
  override readonly name = 'MessageLimitError';
  /** What is over the limit, in words for the sender's SMTP reply. */
  readonly limit = PARSER_LIMITS;
}

/** The limit a MessageLimitError names, also once it has crossed to the relay from an inspection process (as a plain object). */
export function parsingLimitOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, limit } = error as { name?: unknown; limit?: unknown };
  return name === 'MessageLimitError' && typeof limit === 'string' ? limit : undefined;
}

export interface NormaliseLimits {
  /** HTML longer than this is not converted to text (the converter is the slow part of parsing). */
  maxHtmlChars: number;
}

export const DEFAULT_NORMALISE_LIMITS: NormaliseLimits = { maxHtmlChars: 5_000_000 };

/** Parses raw RFC 5322 bytes into the shape every detector reads. */
export async function normaliseMessage(
  raw: Buffer,
  limits: NormaliseLimits = DEFAULT_NORMALISE_LIMITS,
): Promise<NormalisedMessage> {
  let parsed;
  try {
    parsed = await simpleParser(raw, {
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      // We convert the HTML ourselves (htmlText), so mailparser need not do it a second time.
      skipHtmlToText: true,
    });
  } catch (cause) {
    if ((cause as { code?: unknown } | null)?.code === 'EMAXLEN') throw new MessageLimitError(`the message is over the MIME parser's limits: ${PARSER_LIMITS}`, { cause });
    throw new MessageParseError('the message could not be parsed as MIME', { cause });
  }

  const html = typeof parsed.html === 'string' ? parsed.html : '';
  let text = parsed.text ?? '';
  let htmlText = html.length > limits.maxHtmlChars ? stripTags(html) : htmlAsText(html);
  let subject = parsed.subject ?? '';
  // A multipart with no usable boundary yields nothing, yet the bytes are delivered and a client may show them.
  if (!text && !html && parsed.attachments.length === 0) text = bodyAsText(raw);
  // A header line without a colon ends the header block for some clients, and Haraka starts the body there
  // when the blank line is missing: it is read like body text.
  const notHeaders = parsed.headerLines.filter((line) => line.key === '').map((line) => line.line);
  if (notHeaders.length > 0) text = [...notHeaders, text].join('\n');
  // Clients differ on which of several Subject headers they show (RFC 5322 allows one): each is read.
  const subjectLines = parsed.headerLines.filter((line) => line.key === 'subject');
  if (subjectLines.length > 1) subject = (await Promise.all(subjectLines.slice(0, MAX_SUBJECTS_READ).map(decodedSubject))).join(' | ');
  const rawText = raw.toString('latin1');
  if (DECLARES_UTF7.test(rawText)) {
    // Kept beside the text as sent: only the parts declared UTF-7 mean it, and the rest must not be garbled.
    text = `${text}\n${decodeUtf7(text)}`;
    htmlText = `${htmlText}\n${decodeUtf7(htmlText)}`;
    if (subjectLines.some((line) => DECLARES_UTF7.test(line.line))) subject = decodeUtf7(subject);
  }
  const ambiguousStructure = multipartProblem(rawText);
  return {
    ...(ambiguousStructure ? { ambiguousStructure } : {}),
    headers: parsed.headerLines.filter((line) => line.key !== '').map(toHeaderLine),
    subject: withoutInvisible(subject),
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    bcc: addresses(parsed.bcc),
    text: withoutInvisible(text),
    html,
    htmlText: withoutInvisible(htmlText),
    attachments: parsed.attachments.map((attachment): AttachmentSummary => {
      const contentType = declaredType(attachment.contentType);
      return {
        filename: attachment.filename ?? '',
        contentType,
        size: attachment.size,
        isMessage: contentType === 'message/rfc822' || /\.eml$/i.test(attachment.filename ?? ''),
        content: attachment.content,
      };
    }),
    parts: [],
    size: raw.length,
  };
}

const MAX_SUBJECTS_READ = 10;

async function decodedSubject(line: { line: string }): Promise<string> {
  return (await simpleParser(Buffer.from(`${line.line}\r\n\r\n`))).subject ?? '';
}

// A Content-Type header of a multipart, with its folded continuation lines.
const MULTIPART_TYPE = /^content-type:[ \t]*multipart\/[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim;
const BOUNDARY_PARAMETER = /\bboundary\s*=/gi;

/**
 * Where parsers (and so the relay and the reader's client) may split the message differently:
 * a multipart that names two boundaries (mailparser takes the first, others the last), or none.
 */
function multipartProblem(rawText: string): string | undefined {
  for (const header of rawText.matchAll(MULTIPART_TYPE)) {
    const boundaries = header[0].match(BOUNDARY_PARAMETER)?.length ?? 0;
    if (boundaries === 0) return 'a multipart part has no boundary';
    if (boundaries > 1) return 'a multipart part names more than one boundary';
  }
  return undefined;
}

// NUL, zero-width spaces and joiners, the word joiner, BOM and soft hyphen show as nothing.
const INVISIBLE = /[\0\u00ad\u200b-\u200d\u2060\ufeff]/g;

/** The text as a reader sees it: "N\0H\0S" (UTF-16 read as Latin-1, say) or "943\u200b 476" reads as "NHS", "943 476". */
function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/** Everything after the header block, as text. */
function bodyAsText(raw: Buffer): string {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf !== -1 ? lf + 2 : raw.length;
  return decodeTextBytes(raw.subarray(end)).text;
}

/**
 * mailparser's content type for a part, lower case. For a part inside a multipart whose
 * Content-Type header is empty it gives `false`, whatever its typings say: RFC 2045 §5.2
 * reads such a part as text/plain.
 */
function declaredType(contentType: string | false | undefined): string {
  return typeof contentType === 'string' && contentType !== '' ? contentType.toLowerCase() : 'text/plain';
}

function toHeaderLine(line: { key: string; line: string }): HeaderLine {
  const unfolded = line.line.replace(/\r?\n[ \t]+/g, ' ');
  const colon = unfolded.indexOf(':');
  return { name: line.key.toLowerCase(), value: colon === -1 ? '' : unfolded.slice(colon + 1).trim() };
}

function addresses(field: AddressObject | AddressObject[] | undefined): Mailbox[] {
  if (!field) return [];
  const objects = Array.isArray(field) ? field : [field];
  const out: Mailbox[] = [];
  const visit = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.address) out.push({ address: entry.address.toLowerCase(), name: entry.name ?? '' });
      if (entry.group) visit(entry.group);
    }
  };
  for (const object of objects) visit(object.value);
  return out;
}

