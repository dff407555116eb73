/**
 * An adversarial message corpus, generated (the same bytes on every run): each case is a
 * message built to break a MIME parser, hide personal data from it, or make the engine take
 * too long, with what a mature DLP relay must do with it. The rule throughout: what can be
 * inspected is inspected and gets a verdict; what cannot is never delivered unseen. A
 * message over the parser's hard limits is refused for good (5xx with the reason), since
 * retrying the same bytes can never succeed.
 *
 * test/engine/adversarial-corpus.test.ts runs every case through the engine;
 * test/e2e/adversarial-relay.test.ts sends the cases with a `relay` expectation through a
 * real Haraka. `patternStressCases` adds one case per configured regular expression.
 */
import type { CompiledPattern, ForwardingPatterns } from '../../src/detectors/forwarding/markers.js';
import type { Action, Envelope } from '../../src/engine/types.js';
import { INPUT_SHAPES, pathologicalInput, shapesFor, type InputShape } from './pathological-input.js';

export const STAFF = 's.jones@example-trust.org.uk';
/** A consumer mailbox that is nobody's known parent/carer contact. */
export const PERSONAL = 'sam.bloggs1987@gmail.com';
/** An outside organisation: neither trusted nor personal. */
export const PARTNER = 'r.patel@riverside.example.com';

/** Personal data every detector configuration finds: an NHS number in the NHS's 3-3-4 spacing. */
export const PAYLOAD = 'NHS number 943 476 5919 for the pupil we discussed.';
const HELD_FOR_PERSONAL_DATA = ['personal-data-to-personal-address'];

export type EngineExpectation =
  /** The engine inspects the message and gives this verdict (exactly these rules fire). */
  | { kind: 'verdict'; action: Action; rules: string[]; seenIn?: string }
  /** The engine refuses it as over the MIME parser's hard limits (MessageLimitError). */
  | { kind: 'over-limit' };

export interface RelayExpectation {
  code: number;
  reply: RegExp;
  /** What the downstream server gets: nothing, or the message with only Haraka's Received and our verdict header added. */
  delivered: 'nothing' | 'intact';
  /** Haraka's own part in the answer, recorded for the reader. */
  note?: string;
}

export interface CorpusCase {
  name: string;
  /** What it attacks, and why the expected outcome is the right one. */
  attacks: string;
  raw: Buffer;
  envelope: Envelope;
  expected: EngineExpectation;
  /** Bound on the engine's wall-clock time (generous: a busy 2-core machine). */
  withinMs: number;
  /** For the cases worth sending through a real Haraka. */
  relay?: RelayExpectation;
  /** Sent byte for byte over a raw socket: SMTP clients repair bare line feeds. */
  rawSocket?: boolean;
}

const HELD_REPLY = /^250 Held for review by the Data Protection Officer \[[a-z-]+(?:, [a-z-]+)*\] Ref DLP-/;
const OVER_LIMIT_REPLY = /^554 5\.3\.4 The message cannot be checked for personal data: it has more than 1000 MIME parts, or a header block over 1 MB.* It has not been sent.* Ref DLP-/;
const DELIVERED_REPLY = /^250 /;

const toPersonal: Envelope = { mailFrom: STAFF, rcptTo: [PERSONAL] };
const toPartner: Envelope = { mailFrom: STAFF, rcptTo: [PARTNER] };
const held = (rules = HELD_FOR_PERSONAL_DATA, seenIn?: string): EngineExpectation => ({ kind: 'verdict', action: 'hold', rules, ...(seenIn ? { seenIn } : {}) });
const passes: EngineExpectation = { kind: 'verdict', action: 'pass', rules: [] };

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** A message head: From, To, Subject, Date, Message-ID, MIME-Version, then `extra` lines. */
function head(to: string, extra: string[] = [], subject = 'Notes from today'): string {
  return [
    `From: Sarah Jones <${STAFF}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    'Date: Mon, 23 Nov 2026 09:12:44 +0000',
    `Message-ID: <adversarial-${to.length}-${subject.length}@example-trust.org.uk>`,
    'MIME-Version: 1.0',
    ...extra,
  ].join('\r\n');
}

function plain(to: string, body: string, extra: string[] = ['Content-Type: text/plain; charset=utf-8']): string {
  return `${head(to, extra)}\r\n\r\n${body}\r\n`;
}

function multipart(to: string, boundary: string, body: string): string {
  return `${head(to, [`Content-Type: multipart/mixed; boundary="${boundary}"`])}\r\n\r\n${body}`;
}

function textPart(boundary: string, text: string): string {
  return `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`;
}

function manyParts(count: number, lastText: string): string {
  let body = '';
  for (let i = 0; i < count - 1; i++) body += textPart('part', `Section ${i + 1}.`);
  return multipart(PERSONAL, 'part', `${body}${textPart('part', lastText)}--part--\r\n`);
}

function nested(depth: number, innermost: string): string {
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level++) {
    open += `${level === 0 ? '' : `--level${level - 1}\r\n`}Content-Type: multipart/mixed; boundary="level${level}"\r\n\r\n`;
    close = `--level${level}--\r\n${close}`;
  }
  const body = `${open}--level${depth - 1}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${innermost}\r\n${close}`;
  return `${head(PERSONAL)}\r\n${body}`;
}

function attachedMessages(depth: number, innermost: string): string {
  let message = `From: ${STAFF}\r\nTo: ${PERSONAL}\r\nSubject: level ${depth}\r\n\r\n${innermost}\r\n`;
  for (let level = depth - 1; level >= 0; level--) {
    const boundary = `wrap${level}`;
    message =
      `From: ${STAFF}\r\nTo: ${PERSONAL}\r\nSubject: level ${level}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
      `${textPart(boundary, 'See the message attached.')}--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n${message}\r\n--${boundary}--\r\n`;
  }
  return message;
}

function encodedWords(count: number): string {
  return Array.from({ length: count }, (_, i) => `=?utf-8?B?${Buffer.from(`w${i % 10}`).toString('base64')}?=`).join(' ');
}

/** A minimal TNEF stream (winmail.dat): signature, key, and the TNEF version attribute, then a body. */
function tnef(text: string): Buffer {
  const attribute = (level: number, id: number, data: Buffer): Buffer => {
    const headerBytes = Buffer.alloc(9);
    headerBytes.writeUInt8(level, 0);
    headerBytes.writeUInt32LE(id, 1);
    headerBytes.writeUInt32LE(data.length, 5);
    const checksum = Buffer.alloc(2);
    checksum.writeUInt16LE(data.reduce((sum, b) => (sum + b) & 0xffff, 0), 0);
    return Buffer.concat([headerBytes, data, checksum]);
  };
  const signature = Buffer.alloc(6);
  signature.writeUInt32LE(0x223e9f78, 0);
  signature.writeUInt16LE(0x0001, 4);
  const version = Buffer.alloc(4);
  version.writeUInt32LE(0x00010000, 0);
  return Buffer.concat([signature, attribute(1, 0x00089006, version), attribute(2, 0x0002800c, Buffer.from(text))]);
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** Every structural case. Built afresh on each call (about 11 MB in all). */
export function adversarialCorpus(): CorpusCase[] {
  return [
    // --- Malformed headers -------------------------------------------------------------
    {
      name: 'header-line-without-colon',
      attacks: 'a header line with no colon among the headers; the body still carries personal data',
      raw: bytes(plain(PERSONAL, PAYLOAD, ['This line is not a header', 'Content-Type: text/plain; charset=utf-8'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'header-line-without-colon-carrying-data',
      attacks: 'the personal data is a colon-less line in the header block, which mailparser drops; some clients end the headers there and show it',
      raw: bytes(`${head(PERSONAL, [PAYLOAD, 'Content-Type: text/plain; charset=utf-8'])}\r\n\r\nNothing to see here.\r\n`),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },
    {
      name: 'header-line-of-only-whitespace',
      attacks: 'a line of spaces and tabs inside the header block (a folded nothing, or the end of the headers?)',
      raw: bytes(plain(PERSONAL, PAYLOAD, [' \t  ', 'Content-Type: text/plain; charset=utf-8'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'eight-bit-header-names',
      attacks: 'header names with Latin-1 and UTF-8 bytes (not allowed by RFC 5322), a Latin-1 Subject look-alike',
      raw: bytes(plain(PERSONAL, PAYLOAD, ['Subj\xe9ct: not the subject', 'X-\xc3\xa9t\xc3\xa9: summer', 'Content-Type: text/plain; charset=utf-8'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'missing-blank-line',
      attacks: 'no blank line between the headers and the body: the body reads as a broken header line; Haraka inserts the blank line before delivery',
      raw: bytes(`${head(PERSONAL, ['Content-Type: text/plain; charset=utf-8'])}\r\n${PAYLOAD}\r\n`),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
      relay: { code: 250, reply: HELD_REPLY, delivered: 'nothing', note: 'Haraka starts the body at the first line that is not a header' },
    },
    {
      name: 'bare-cr-line-ends',
      attacks: 'header lines ended by a bare CR, and a "blank" line that is CR CR LF: parsers disagree where the headers end',
      raw: bytes(`From: ${STAFF}\rTo: <${PERSONAL}>\r\nSubject: Notes\r\r\n${PAYLOAD}\r\n`),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },
    {
      name: 'bare-lf-and-crlf-mixed',
      attacks: 'header and body lines ending in bare LF among CRLF lines (the SMTP-smuggling shape)',
      raw: bytes(`From: ${STAFF}\nTo: <${PERSONAL}>\r\nSubject: Notes\nMIME-Version: 1.0\r\n\n${PAYLOAD}\n.\nmore\r\n`),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
      rawSocket: true,
      relay: { code: 451, reply: /^451 Bare line-feed/, delivered: 'nothing', note: 'Haraka refuses bare LF in DATA and disconnects, before any plugin' },
    },

    // --- Many parts, deep nesting ---------------------------------------------------------
    {
      name: 'ten-thousand-parts',
      attacks: "10,000 MIME parts: mailsplit's limit is 1,000; a parser without one spends unbounded time and memory",
      raw: bytes(manyParts(10_000, PAYLOAD)),
      envelope: toPersonal,
      expected: { kind: 'over-limit' },
      withinMs: 5_000,
      relay: { code: 554, reply: OVER_LIMIT_REPLY, delivered: 'nothing', note: "Haraka's own mime_parts limit counts only when a plugin parses the body, so it does not apply" },
    },
    {
      name: 'nine-hundred-and-ninety-parts',
      attacks: 'just under the part limit, the personal data in the last part: everything is still read',
      raw: bytes(manyParts(990, PAYLOAD)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 10_000,
    },
    {
      name: 'attached-message-over-part-limit',
      attacks: 'an attached message of 1,100 parts: the attachment cannot be read, so it is unscannable (and, attached mail to a personal address, a forward)',
      raw: bytes(
        multipart(PERSONAL, 'outer', `${textPart('outer', 'See the attached message.')}--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="thread.eml"\r\n\r\n${manyParts(1_100, PAYLOAD)}\r\n--outer--\r\n`),
      ),
      envelope: toPersonal,
      expected: { kind: 'verdict', action: 'reject', rules: ['forward-to-personal-address', 'unscannable-attachment'] },
      withinMs: 5_000,
    },
    {
      name: 'thousand-deep-multipart-nesting',
      attacks: 'multiparts nested 1,000 deep (a recursive parser overflows its stack); over the part limit',
      raw: bytes(nested(1_000, PAYLOAD)),
      envelope: toPersonal,
      expected: { kind: 'over-limit' },
      withinMs: 5_000,
      relay: { code: 554, reply: OVER_LIMIT_REPLY, delivered: 'nothing' },
    },
    {
      name: 'five-hundred-deep-multipart-nesting',
      attacks: 'multiparts nested 500 deep, the personal data at the bottom: within the limits, so read',
      raw: bytes(nested(500, PAYLOAD)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 10_000,
    },
    {
      name: 'fifty-deep-attached-messages',
      attacks: 'a message attached to a message, 50 deep, the personal data at the bottom: past the nesting limit the attachment is unscannable',
      raw: bytes(attachedMessages(50, PAYLOAD)),
      envelope: toPersonal,
      expected: { kind: 'verdict', action: 'reject', rules: ['forward-to-personal-address', 'unscannable-attachment'] },
      withinMs: 5_000,
    },

    // --- Huge headers ---------------------------------------------------------------------
    {
      name: 'five-megabyte-subject',
      attacks: "a 5 MB Subject line: over mailsplit's 1 MB header limit. Through Haraka the line is wrapped every 512 KiB (config/connection.ini data_line_length), so the relay sees the whole header and refuses it, permanently",
      raw: bytes(plain(PERSONAL, PAYLOAD).replace('Subject: Notes from today', `Subject: ${'Report '.repeat(750_000)}`)),
      envelope: toPersonal,
      expected: { kind: 'over-limit' },
      withinMs: 5_000,
      relay: { code: 554, reply: OVER_LIMIT_REPLY, delivered: 'nothing', note: 'a header block over the MIME parser\'s 1 MB: refused, never delivered' },
    },
    {
      name: 'hundred-thousand-header-fields',
      attacks: '100,000 header fields (1.5 MB of header). Haraka keeps only the first 1,000 header lines, for inspection and delivery alike, so the relay refuses it rather than pass on a message it could not read whole',
      raw: bytes(plain(PARTNER, 'Dear Mr Patel, the trip is on Thursday.', [...Array.from({ length: 100_000 }, (_, i) => `X-Filler-${i}: ${i}`), 'Content-Type: text/plain; charset=utf-8'])),
      envelope: toPartner,
      expected: { kind: 'over-limit' },
      withinMs: 5_000,
      relay: { code: 554, reply: /^554 5\.3\.4 The message cannot be checked for personal data: its header has 1000 lines or more/, delivered: 'nothing', note: 'past connection.ini headers.max_lines: refused, never truncated and delivered' },
    },

    // --- Charsets ---------------------------------------------------------------------------
    {
      name: 'charset-unknown',
      attacks: 'a charset nobody knows (x-unknown): read as UTF-8 rather than skipped',
      raw: bytes(plain(PERSONAL, PAYLOAD, ['Content-Type: text/plain; charset=x-unknown'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'charset-utf-7-body',
      attacks: 'the NHS number written in UTF-7 ("+ADk-43" is "943"): mailparser refuses UTF-7 but Outlook and Thunderbird show it decoded',
      raw: bytes(plain(PERSONAL, 'NHS number +ADk-43 476 5919 for the pupil.', ['Content-Type: text/plain; charset=utf-7'])),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },
    {
      name: 'charset-utf-7-encoded-word-subject',
      attacks: 'the same trick in an encoded word in the Subject',
      raw: bytes(`${head(PERSONAL, ['Content-Type: text/plain; charset=utf-8'], '=?utf-7?Q?NHS_number_+ADk-43_476_5919?=')}\r\n\r\nSee subject.\r\n`),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'subject'),
      withinMs: 2_000,
    },
    {
      name: 'utf-16-declared-latin-1',
      attacks: 'UTF-16 bytes under a Latin-1 label: every other byte is NUL, which a reader does not see',
      raw: Buffer.concat([bytes(`${head(PERSONAL, ['Content-Type: text/plain; charset=iso-8859-1'])}\r\n\r\n`), Buffer.from(PAYLOAD, 'utf16le'), bytes('\r\n')]),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },
    {
      name: 'windows-1252-declared-utf-8',
      attacks: 'Windows-1252 bytes (smart quotes, accents) under a UTF-8 label: invalid UTF-8 around the data',
      raw: bytes(plain(PERSONAL, `Caf\xe9 \x93notes\x94 \x96 ${PAYLOAD}`)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'zero-width-characters-inside-identifier',
      attacks: 'zero-width spaces and a soft hyphen inside the NHS number: invisible to the reader, enough to break a pattern',
      raw: utf8(plain(PERSONAL, 'NHS number 9\u200b43 4\u00ad76 59\u200d19 for the pupil.')),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },

    // --- NUL bytes and undeclared 8-bit -----------------------------------------------------
    {
      name: 'nul-bytes-in-headers',
      attacks: 'NUL bytes in the Subject and another header (C string functions stop there)',
      raw: bytes(plain(PERSONAL, PAYLOAD, ['X-Null: \x00\x00', 'Content-Type: text/plain; charset=utf-8']).replace('Subject: Notes from today', 'Subject: Notes\x00 from\x00 today')),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'nul-bytes-inside-identifier',
      attacks: 'NUL bytes inside the NHS number',
      raw: bytes(plain(PERSONAL, 'NHS number 943\x00 476\x00 5919 for the pupil.')),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },
    {
      name: 'nul-bytes-harmless-to-partner',
      attacks: 'NUL bytes in a header and the body of an ordinary message: inspected, passed, and delivered exactly as sent',
      raw: bytes(plain(PARTNER, 'Dear Mr Patel,\r\nthe coach\x00 leaves at 8.45.\x00\r\nSarah', ['X-Null: a\x00b', 'Content-Type: text/plain; charset=utf-8'])),
      envelope: toPartner,
      expected: passes,
      withinMs: 2_000,
      relay: { code: 250, reply: DELIVERED_REPLY, delivered: 'intact' },
    },
    {
      name: 'eight-bit-without-declaration',
      attacks: 'Latin-1 and UTF-8 bytes with no MIME-Version, no Content-Type and no transfer encoding',
      raw: bytes(`From: ${STAFF}\r\nTo: <${PERSONAL}>\r\nSubject: Caf\xe9 \xc3\xa9t\xc3\xa9\r\n\r\nCaf\xe9 \xff\xfe \xc3\xa9t\xc3\xa9 ${PAYLOAD}\r\n`),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'eight-bit-harmless-to-partner',
      attacks: 'undeclared 8-bit (UTF-8 in a header, Latin-1 and UTF-8 in the body) on an ordinary message: delivered exactly as sent',
      raw: bytes(`From: ${STAFF}\r\nTo: <${PARTNER}>\r\nSubject: Caf\xc3\xa9 visit \xe2\x80\x94 Thursday\r\nMessage-ID: <eight-bit@example-trust.org.uk>\r\n\r\nDear Mr Patel,\r\nthe caf\xe9 is booked \xc3\xa9t\xc3\xa9 \xff.\r\nSarah\r\n`),
      envelope: toPartner,
      expected: passes,
      withinMs: 2_000,
      relay: { code: 250, reply: DELIVERED_REPLY, delivered: 'intact' },
    },

    // --- Boundaries -------------------------------------------------------------------------
    {
      name: 'boundary-text-repeated-in-body',
      attacks: 'a body line that starts like the boundary ("--b is ...") but is not one',
      raw: bytes(multipart(PERSONAL, 'b', `${textPart('b', `The list:\r\n--b is not a boundary\r\n${PAYLOAD}`)}--b--\r\n`)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'boundary-line-repeated',
      attacks: 'the boundary line twice in a row (an empty part), then the part with the data',
      raw: bytes(multipart(PERSONAL, 'b', `${textPart('b', 'First part.')}--b\r\n${textPart('b', PAYLOAD)}--b--\r\n`)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'nested-part-reuses-parent-boundary',
      attacks: "an inner multipart with the outer one's boundary: which part does a line end?",
      raw: bytes(
        multipart(
          PERSONAL,
          'same',
          `--same\r\nContent-Type: multipart/alternative; boundary="same"\r\n\r\n${textPart('same', PAYLOAD)}--same--\r\n${textPart('same', 'Outer second part.')}--same--\r\n`,
        ),
      ),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
      relay: { code: 250, reply: HELD_REPLY, delivered: 'nothing' },
    },
    {
      name: 'nested-part-reuses-parent-boundary-harmless',
      attacks: 'the same structure on an ordinary message to a partner: inspected and delivered exactly as sent',
      raw: bytes(
        multipart(
          PARTNER,
          'same',
          `--same\r\nContent-Type: multipart/alternative; boundary="same"\r\n\r\n${textPart('same', 'Dear Mr Patel, Thursday is fine.')}--same--\r\n${textPart('same', 'Sarah')}--same--\r\n`,
        ),
      ),
      envelope: toPartner,
      expected: passes,
      withinMs: 2_000,
      relay: { code: 250, reply: DELIVERED_REPLY, delivered: 'intact' },
    },
    {
      name: 'outer-boundary-prefix-of-inner',
      attacks: 'outer boundary "abc", inner "abcd": every inner boundary line also starts like an outer one',
      raw: bytes(multipart(PERSONAL, 'abc', `--abc\r\nContent-Type: multipart/alternative; boundary="abcd"\r\n\r\n${textPart('abcd', PAYLOAD)}--abcd--\r\n--abc--\r\n`)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'inner-boundary-prefix-of-outer',
      attacks: 'outer boundary "abcd", inner "abc"',
      raw: bytes(multipart(PERSONAL, 'abcd', `--abcd\r\nContent-Type: multipart/alternative; boundary="abc"\r\n\r\n${textPart('abc', PAYLOAD)}--abc--\r\n--abcd--\r\n`)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'multipart-without-boundary',
      attacks: 'a multipart with no boundary parameter: mailparser extracts nothing at all, yet the bytes are delivered',
      raw: bytes(`${head(PERSONAL, ['Content-Type: multipart/mixed'])}\r\n\r\n${textPart('b', PAYLOAD)}--b--\r\n`),
      envelope: toPersonal,
      expected: held(['personal-data-to-personal-address', 'unscannable-attachment'], 'body'),
      withinMs: 2_000,
      relay: { code: 250, reply: HELD_REPLY, delivered: 'nothing' },
    },
    {
      name: 'multipart-with-empty-boundary',
      attacks: 'boundary="": every line starting "--" is a delimiter, or none is',
      raw: bytes(`${head(PERSONAL, ['Content-Type: multipart/mixed; boundary=""'])}\r\n\r\n--\r\nContent-Type: text/plain\r\n\r\n${PAYLOAD}\r\n----\r\n`),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'body'),
      withinMs: 2_000,
    },
    {
      name: 'multipart-naming-two-boundaries',
      attacks: 'boundary="a"; boundary="b": mailparser takes the first, other parsers the last, so the relay and the reader see different parts',
      raw: bytes(
        `${head(PERSONAL, ['Content-Type: multipart/mixed; boundary="a"; boundary="b"'])}\r\n\r\n${textPart('a', 'Nothing here.')}--a--\r\n${textPart('b', PAYLOAD)}--b--\r\n`,
      ),
      envelope: toPersonal,
      expected: held(['unscannable-attachment']),
      withinMs: 2_000,
      relay: { code: 250, reply: HELD_REPLY, delivered: 'nothing' },
    },
    {
      name: 'nested-multipart-without-boundary',
      attacks: 'a well-formed outer multipart holding an inner one with no boundary: the inner content vanishes from the parse',
      raw: bytes(multipart(PERSONAL, 'b', `${textPart('b', 'Hello.')}--b\r\nContent-Type: multipart/alternative\r\n\r\n${textPart('c', PAYLOAD)}--c--\r\n--b--\r\n`)),
      envelope: toPersonal,
      expected: held(['unscannable-attachment']),
      withinMs: 2_000,
    },
    {
      name: 'multipart-never-closed',
      attacks: 'no closing boundary: the last part runs to the end of the message',
      raw: bytes(multipart(PERSONAL, 'b', `${textPart('b', 'Hello.')}${textPart('b', PAYLOAD)}`)),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'data-in-preamble-and-epilogue',
      attacks: "text before the first boundary and after the last: no mail client shows either, so it is not what a reader sees (the relay does not read them)",
      raw: bytes(multipart(PERSONAL, 'b', `${PAYLOAD}\r\n${textPart('b', 'Hello.')}--b--\r\n${PAYLOAD}\r\n`)),
      envelope: toPersonal,
      expected: passes,
      withinMs: 2_000,
    },

    // --- Broken transfer encodings ------------------------------------------------------------
    {
      name: 'base64-with-garbage',
      attacks: 'base64 with characters outside the alphabet, a NUL and misplaced padding',
      raw: bytes(
        plain(PERSONAL, `${Buffer.from(PAYLOAD).toString('base64').slice(0, 12)}!!*\x00${Buffer.from(PAYLOAD).toString('base64').slice(12)}====`, [
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: base64',
        ]),
      ),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'base64-then-plain-text',
      attacks: 'a base64 body followed by lines that are not base64',
      raw: bytes(plain(PERSONAL, `${Buffer.from(PAYLOAD).toString('base64')}\r\n*** not base64 ***\r\n`, ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'truncated-base64-zip-attachment',
      attacks: 'a zip attachment whose base64 stops part-way: the archive cannot be opened, so it is unscannable, not passed',
      raw: bytes(
        multipart(
          PERSONAL,
          'b',
          `${textPart('b', 'The list is attached.')}--b\r\nContent-Type: application/zip; name="list.zip"\r\nContent-Disposition: attachment; filename="list.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), Buffer.alloc(40, 0x41)]).toString('base64').slice(0, 50)}\r\n--b--\r\n`,
        ),
      ),
      envelope: toPersonal,
      expected: held(['unscannable-attachment']),
      withinMs: 2_000,
    },
    {
      name: 'quoted-printable-broken',
      attacks: 'soft line breaks inside the number, invalid escapes (=ZZ) and a dangling "="',
      raw: bytes(plain(PERSONAL, 'NHS number 9=\r\n4=33 476 59=\r\n19 =ZZ for the pupil =', ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
    {
      name: 'unknown-transfer-encoding',
      attacks: 'Content-Transfer-Encoding: x-uuencode (unknown to the parser): read as it is',
      raw: bytes(plain(PERSONAL, PAYLOAD, ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: x-uuencode'])),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },

    // --- Encoded words ------------------------------------------------------------------------
    {
      name: 'fifty-thousand-encoded-words',
      attacks: 'a Subject of 50,000 encoded words (about 850 KB, under the header limit): decoding must stay linear',
      raw: bytes(`${head(PARTNER, ['Content-Type: text/plain; charset=utf-8'], encodedWords(50_000))}\r\n\r\nHello.\r\n`),
      envelope: toPartner,
      expected: passes,
      withinMs: 10_000,
    },
    {
      name: 'encoded-word-bomb-over-header-limit',
      attacks: 'a Subject of 100,000 encoded words (1.7 MB): over the header limit',
      raw: bytes(`${head(PARTNER, ['Content-Type: text/plain; charset=utf-8'], encodedWords(100_000))}\r\n\r\nHello.\r\n`),
      envelope: toPartner,
      expected: { kind: 'over-limit' },
      withinMs: 5_000,
    },
    {
      name: 'identifier-split-across-encoded-words',
      attacks: 'the NHS number split over several encoded words in three charsets and both encodings',
      raw: bytes(
        `${head(PERSONAL, ['Content-Type: text/plain; charset=utf-8'], `=?utf-8?Q?NHS_number_94?= =?iso-8859-1?B?${Buffer.from('3 476').toString('base64')}?= =?us-ascii?Q?_5919?=`)}\r\n\r\nSee subject.\r\n`,
      ),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'subject'),
      withinMs: 2_000,
    },
    {
      name: 'encoded-word-inside-encoded-word',
      attacks: 'an encoded word whose text is another encoded word: a reader sees "=?utf-8?B?...?=", not the number, so nothing is disclosed',
      raw: bytes(
        `${head(PERSONAL, ['Content-Type: text/plain; charset=utf-8'], `=?utf-8?B?${Buffer.from(`=?utf-8?B?${Buffer.from(PAYLOAD).toString('base64')}?=`).toString('base64')}?=`)}\r\n\r\nSee subject.\r\n`,
      ),
      envelope: toPersonal,
      expected: passes,
      withinMs: 2_000,
    },

    // --- Real-world oddities --------------------------------------------------------------------
    {
      name: 'outlook-winmail-dat',
      attacks: "Outlook's TNEF (winmail.dat) carries the message's real attachments: not opened here, so unscannable rather than passed",
      raw: bytes(
        multipart(
          PERSONAL,
          'b',
          `${textPart('b', 'See attached.')}--b\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Disposition: attachment; filename="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(tnef(PAYLOAD))}\r\n--b--\r\n`,
        ),
      ),
      envelope: toPersonal,
      expected: held(['unscannable-attachment']),
      withinMs: 2_000,
    },
    {
      name: 'calendar-invitation-description',
      attacks: 'a meeting invitation (text/calendar) whose DESCRIPTION holds the personal data: file-type calls it "ics", and it must still be read as text',
      raw: bytes(
        multipart(
          PERSONAL,
          'b',
          `${textPart('b', 'Invitation: review meeting')}--b\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Review\r\nDESCRIPTION:${PAYLOAD}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n--b--\r\n`,
        ),
      ),
      envelope: toPersonal,
      expected: { kind: 'verdict', action: 'reject', rules: ['personal-data-to-personal-address', 'unencrypted-sensitive-attachment'] },
      withinMs: 2_000,
    },
    {
      name: 'two-subject-headers',
      attacks: 'two Subject headers, the personal data in the first; mailparser keeps the last, some clients show the first',
      raw: bytes(`From: ${STAFF}\r\nTo: <${PERSONAL}>\r\nSubject: ${PAYLOAD}\r\nSubject: Notes\r\n\r\nSee you then.\r\n`),
      envelope: toPersonal,
      expected: held(HELD_FOR_PERSONAL_DATA, 'subject'),
      withinMs: 2_000,
    },
    {
      name: 'message-partial-fragment',
      attacks: 'message/partial (one fragment of a split message): the fragment is read as an attachment',
      raw: bytes(`${head(PERSONAL, ['Content-Type: message/partial; id="split@example-trust.org.uk"; number=1; total=2'])}\r\n\r\nFrom: ${STAFF}\r\nSubject: inner\r\n\r\n${PAYLOAD}\r\n`),
      envelope: toPersonal,
      expected: { kind: 'verdict', action: 'reject', rules: ['personal-data-to-personal-address', 'unencrypted-sensitive-attachment'] },
      withinMs: 2_000,
    },
    {
      name: 'smime-signed-clear-text',
      attacks: 'an S/MIME signed message: the signed text is in the clear and read',
      raw: bytes(
        `${head(PERSONAL, ['Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s"'])}\r\n\r\n${textPart('s', PAYLOAD)}--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Disposition: attachment; filename=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==\r\n--s--\r\n`,
      ),
      envelope: toPersonal,
      expected: held(),
      withinMs: 2_000,
    },
  ];
}

/** Where in a message a configured pattern is matched. */
export type PatternPlace = 'body-line' | 'html' | 'envelope-sender' | `header:${string}`;

export interface PatternStressCase {
  name: string;
  attacks: string;
  pattern: CompiledPattern;
  place: PatternPlace;
  shape: InputShape;
  /** The pathological input itself, about `length` characters. */
  input(length: number): string;
  /** A message (and envelope) that puts that input where the pattern is matched, and in the Subject too. */
  message(length: number): { raw: Buffer; envelope: Envelope };
}

/** Every regular expression a configuration compiles for the forwarding detectors, with where it is matched. */
export function configuredPatterns(patterns: ForwardingPatterns): Array<{ pattern: CompiledPattern; place: PatternPlace }> {
  return [
    ...patterns.separators.map((pattern) => ({ pattern, place: 'body-line' as const })),
    ...patterns.quoteSeparators.map((pattern) => ({ pattern, place: 'body-line' as const })),
    ...patterns.htmlMarkers.map((pattern) => ({ pattern, place: 'html' as const })),
    ...patterns.autoForwardEnvelopeSenders.map((pattern) => ({ pattern, place: 'envelope-sender' as const })),
    ...[...patterns.forwardHeaders, ...patterns.autoForwardHeaders].flatMap((marker) =>
      marker.value ? [{ pattern: marker.value, place: `header:${marker.label}` as const }] : [],
    ),
  ];
}

/** One case per configured pattern and input shape: the input where the pattern is matched, to a partner. */
export function patternStressCases(patterns: ForwardingPatterns): PatternStressCase[] {
  return configuredPatterns(patterns).flatMap(({ pattern, place }) =>
    shapesFor(pattern.source).map((shape): PatternStressCase => {
      const input = (length: number): string => pathologicalInput(pattern.source, shape, length);
      return {
        name: `${pattern.id} (${place}) ${shape}`,
        attacks: `/${pattern.source}/ against ${INPUT_SHAPES[shape]}`,
        pattern,
        place,
        shape,
        input,
        message: (length) => stressMessage(place, input(length)),
      };
    }),
  );
}

function stressMessage(place: PatternPlace, input: string): { raw: Buffer; envelope: Envelope } {
  // The Subject gets a line-safe copy (a Subject is one line however long).
  const subject = input.replace(/[\r\n]/g, ' ');
  const extra = place.startsWith('header:') ? [`${place.slice('header:'.length)}: ${input}`] : [];
  const isHtml = place === 'html';
  const body = place === 'body-line' ? `Dear Mr Patel,\r\n${input}\r\nSarah` : isHtml ? `<html><body><div ${input}</div></body></html>` : 'Dear Mr Patel, see you on Thursday.';
  const raw = utf8(`${head(PARTNER, [...extra, `Content-Type: text/${isHtml ? 'html' : 'plain'}; charset=utf-8`], subject)}\r\n\r\n${body}\r\n`);
  return { raw, envelope: { mailFrom: place === 'envelope-sender' ? input : STAFF, rcptTo: [PARTNER] } };
}

/**
 * The engine's own (built-in, JavaScript) expressions over message text, each with the text
 * most likely to make it backtrack: none is configurable, but a slow one holds every message.
 */
export const BUILT_IN_STRESS: Array<{ name: string; attacks: string; body(length: number): string; subject?(length: number): string }> = [
  { name: 'subject-prefix-tags', attacks: 'subject prefix reader: spaces and gateway tags before a prefix that never comes', body: () => 'Hello.', subject: (n) => `${' '.repeat(n / 2)}${'[x]'.repeat(n / 6)}FWD` },
  {
    // Was quadratic ("\s*(?:\[n\])?\s*" backtracking): a 100,000-character subject took 6 s, a 1 MB one hours.
    name: 'subject-prefix-word-then-spaces',
    attacks: 'subject prefix reader: a word, a long run of spaces, and no colon',
    body: () => 'Hello.',
    subject: (n) => `RE${' '.repeat(n)}x`,
  },
  { name: 'reply-attribution', attacks: 'the "On ... wrote:" line: one long line that nearly ends in "wrote:"', body: (n) => `On ${'Monday '.repeat(n / 7)}wrote` },
  { name: 'quoted-header-block', attacks: 'a quoted "From: / Sent: / To:" block of many lines that never completes', body: (n) => 'From: x\r\nTo: y;\r\n'.repeat(n / 16) },
  { name: 'quote-markers', attacks: 'reply quoting: a line of "> " and spaces without end', body: (n) => `${'> \t'.repeat(n / 3)}x` },
  { name: 'password-cues', attacks: 'password phrases: "password for the" repeated without a password', body: (n) => 'password for the to open '.repeat(n / 25) },
  { name: 'date-like-numbers', attacks: 'birth-date reader: "1/1/" and "12-" repeated, a date that never completes', body: (n) => '1/1/12-'.repeat(n / 7) },
  { name: 'identifier-like-numbers', attacks: 'identifier readers: digit groups, UPN and NI-number look-alikes run together', body: (n) => '943 476 A1234567890 AB 12 '.repeat(n / 26) },
  { name: 'phone-like-numbers', attacks: 'mobile number reader: "+44 (0) 7" repeated', body: (n) => '+44 (0) 7'.repeat(n / 9) },
];

export function builtInStressMessage(entry: (typeof BUILT_IN_STRESS)[number], length: number): { raw: Buffer; envelope: Envelope } {
  const subject = entry.subject ? entry.subject(length) : 'Notes';
  return { raw: utf8(`${head(PARTNER, ['Content-Type: text/plain; charset=utf-8'], subject)}\r\n\r\n${entry.body(length)}\r\n`), envelope: toPartner };
}
