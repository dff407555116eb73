import { simpleParser, type AddressObject } from 'mailparser';
import { htmlAsText, stripTags } from './html-text.js';
import type { AttachmentSummary, HeaderLine, Mailbox, NormalisedMessage } from './types.js';

export { stripTags };

/** The message could not be parsed at all; the relay answers 4xx and the CLI reports it. */
export class MessageParseError extends Error {
  override readonly name = 'MessageParseError';
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
    throw new MessageParseError('the message could not be parsed as MIME', { cause });
  }

  const html = typeof parsed.html === 'string' ? parsed.html : '';
  return {
    headers: parsed.headerLines.filter((line) => line.key !== '').map(toHeaderLine),
    subject: parsed.subject ?? '',
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    bcc: addresses(parsed.bcc),
    text: parsed.text ?? '',
    html,
    htmlText: html.length > limits.maxHtmlChars ? stripTags(html) : htmlAsText(html),
    attachments: parsed.attachments.map(
      (attachment): AttachmentSummary => ({
        filename: attachment.filename ?? '',
        contentType: attachment.contentType.toLowerCase(),
        size: attachment.size,
        isMessage:
          attachment.contentType.toLowerCase() === 'message/rfc822' || /\.eml$/i.test(attachment.filename ?? ''),
        content: attachment.content,
      }),
    ),
    parts: [],
    size: raw.length,
  };
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

