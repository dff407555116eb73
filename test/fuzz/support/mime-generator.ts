/**
 * Structured MIME messages as fast-check arbitraries: random headers (folded, encoded words
 * in real, unknown and invalid charsets, broken address lists, RFC 2231 parameters), random
 * multipart trees with random and colliding boundaries, attached messages, transfer
 * encodings done right and wrong, NUL bytes and 8-bit text, and messages cut short.
 *
 * Everything is built as a "binary" string (one char per byte, latin1) so that any byte can
 * appear anywhere, then turned into a Buffer once.
 */
import fc from 'fast-check';
import { writeZip } from './zip-writer.js';

/** Words and identifiers from the Riverside roster (test/fixtures/roster/riverside-primary.csv). */
export const ROSTER_WORDS = [
  'Jane', 'Smith', 'Thomas', 'Tom', 'Grace', 'Hall', 'Zoë', 'O’Connor', "O'Connor", 'Mohammed', 'Al-Hassan',
  'Summer', 'Day', 'Oliver', 'Ollie', 'Brown-Whitfield', 'Whitfield', 'H801200001001', 'B801200005001', '04/02/2015',
  'DOB', 'asthma', 'EHCP', 'mum.smith@gmail.com', '07700 900123', 'SW1A 1AA', 'NHS 943 476 5919', 'password is Wren-Hollow-52',
] as const;

const binary = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

export const CHARSETS = [
  'utf-8', 'UTF-8', 'us-ascii', 'iso-8859-1', 'ISO-8859-15', 'windows-1252', 'cp1252', 'koi8-r', 'shift_jis', 'euc-jp',
  'iso-2022-jp', 'gb2312', 'gbk', 'big5', 'utf-16', 'utf-16le', 'utf-16be', 'utf-7', 'utf-32', 'x-unknown', 'unknown-8bit',
  '', '"utf-8"', 'binary', 'utf8mb4', 'ks_c_5601-1987', 'x-mac-roman', 'iso-8859-8-i', 'hz-gb-2312', 'ibm037',
] as const;

const charset = fc.oneof({ arbitrary: fc.constantFrom(...CHARSETS), weight: 5 }, { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }), weight: 1 });

/** Text a school might write, and text nobody would: names, identifiers, unicode, control bytes. */
const prose = fc.array(
  fc.oneof(
    { arbitrary: fc.constantFrom(...ROSTER_WORDS), weight: 3 },
    { arbitrary: fc.constantFrom(' ', ' ', '\r\n', '\n', '\t', ', ', '> ', '.', ':', '=', '--', '<', '>', '&amp;', '=?', '?='), weight: 4 },
    { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 10 }), weight: 1 },
    { arbitrary: fc.constantFrom('\0', '\u0085', '\u2028', '\ufeff', '\ud800', '\u0301', '🙂', '\x1b'), weight: 1 },
  ),
  { maxLength: 60 },
).map((pieces) => pieces.join(''));

const rawBytes = fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

/** =?charset?B|Q?payload?= with valid and invalid payloads, sometimes unterminated. */
const encodedWord = fc
  .record({
    charset,
    encoding: fc.constantFrom('B', 'Q', 'b', 'q', 'X', ''),
    text: prose,
    mangle: fc.constantFrom('none', 'none', 'garbage', 'unterminated', 'language'),
    junk: fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  })
  .map(({ charset, encoding, text, mangle, junk }) => {
    const bytes = Buffer.from(text, 'utf8');
    let payload =
      encoding.toUpperCase() === 'B'
        ? bytes.toString('base64')
        : binary(text).replace(/[^A-Za-z0-9!*+\-/]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
    if (mangle === 'garbage') payload = `${payload.slice(0, payload.length >> 1)}${junk}${payload.slice(payload.length >> 1)}`;
    const label = mangle === 'language' ? `${charset}*en-gb` : charset;
    return `=?${label}?${encoding}?${payload}${mangle === 'unterminated' ? '' : '?='}`;
  });

const address = fc.oneof(
  fc.constantFrom('mum.smith@gmail.com', 'helper@gmail.com', 's.jones@example-trust.org.uk', 'a@b', '@', '<>', 'x@[127.0.0.1]', '"quoted@local"@gmail.com'),
  fc.emailAddress(),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }),
);

const mailbox = fc.oneof(
  address,
  fc.tuple(prose, address).map(([name, addr]) => `${binary(name)} <${addr}>`),
  fc.tuple(prose, address).map(([name, addr]) => `"${binary(name).replace(/"/g, '\\"')}" <${addr}>`),
  fc.tuple(encodedWord, address).map(([name, addr]) => `${name} <${addr}>`),
  fc.tuple(address, prose).map(([addr, comment]) => `${addr} (${binary(comment)})`),
  fc.constantFrom('undisclosed-recipients:;', 'group: a@b.example, c@d.example;', '<<<a@b>>>', ',,,', '"unclosed <a@b>', 'a@b (unclosed comment'),
);
const addressList = fc.array(mailbox, { minLength: 0, maxLength: 6 }).chain((boxes) => fc.constantFrom(', ', ',', '; ', ',\r\n ', ' ').map((sep) => boxes.join(sep)));

const filename = fc.oneof(
  fc.constantFrom('report.docx', 'list.csv', 'class list.xlsx', 'minutes.eml', 'archive.zip', 'scan.pdf', 'Grace Hall EHCP.txt', '../../etc/passwd', '', '.eml', 'a'.repeat(300), 'con', 'x.html', 'noext'),
  prose.map(binary),
);

/** name=, filename=, and their RFC 2231 forms (extended, continued, both, broken). */
const fileParameter = fc
  .record({ param: fc.constantFrom('name', 'filename'), value: filename, charset, form: fc.constantFrom('plain', 'quoted', 'extended', 'continued', 'encoded-word', 'broken-percent') })
  .chain(({ param, value, charset, form }) =>
    encodedWord.map((word) => {
      switch (form) {
        case 'plain':
          return `${param}=${value}`;
        case 'quoted':
          return `${param}="${value}"`;
        case 'extended':
          return `${param}*=${charset}''${encodeURIComponent(Buffer.from(value, 'latin1').toString('utf8'))}`;
        case 'continued':
          return `${param}*0="${value.slice(0, 5)}"; ${param}*1="${value.slice(5)}"; ${param}*3="gap"`;
        case 'encoded-word':
          return `${param}="${word}"`;
        default:
          return `${param}*=${charset}'en'%E2%8%%ZZ${value}`;
      }
    }),
  );

/** Folds a header line at random points (CRLF or a bare LF, then white space). */
function fold(line: string, points: readonly number[], newline: string): string {
  let out = '';
  let last = 0;
  for (const point of [...new Set(points.map((p) => p % (line.length + 1)))].sort((a, b) => a - b)) {
    out += `${line.slice(last, point)}${newline}${point % 2 === 0 ? ' ' : '\t'}`;
    last = point;
  }
  return out + line.slice(last);
}

const headerName = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'From', 'To', 'Cc', 'Bcc', 'Subject', 'Date', 'Message-ID', 'Reply-To', 'Sender', 'In-Reply-To', 'References', 'MIME-Version',
      'Auto-Submitted', 'X-Forwarded-For', 'X-Forwarded-To', 'X-MS-Exchange-Inbox-Rules-Loop', 'Resent-From', 'Received', 'Thread-Topic',
      'X-Mailer', 'Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition',
    ),
    weight: 6,
  },
  { arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,30}$/), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((s) => s.replace(/[:\r\n]/g, '')), weight: 1 },
);

const headerValue = fc.oneof(
  addressList,
  prose.map(binary),
  fc.array(fc.oneof(encodedWord, prose.map(binary)), { maxLength: 5 }).map((parts) => parts.join(' ')),
  fc.constantFrom('Tue, 4 Mar 2025 19:52:00 +0000', 'not a date', '31 Feb 2025 25:61:61 +9999', '', 'FW: Re: Fwd: report', 'auto-generated', '1.0'),
  rawBytes,
);

const extraHeader = fc
  .record({ name: headerName, value: headerValue, folds: fc.array(fc.nat(), { maxLength: 3 }) })
  .map(({ name, value, folds }) => ({ name, value, folds }));

export type Newline = '\r\n' | '\n';

const TRANSFER_ENCODINGS = ['7bit', '8bit', 'binary', 'base64', 'quoted-printable', 'BASE64', 'Quoted-Printable', 'x-uuencode', 'x-token', ''] as const;

const boundary = fc.oneof(
  { arbitrary: fc.constantFrom('b', '=_b', '----=_Part_0_1', 'simple boundary', 'Apple-Mail-1', '', ' ', '--', 'b--', '"', 'x'.repeat(200)), weight: 3 },
  { arbitrary: fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 80 }), weight: 1 },
);

/** Encodes the bytes of a part body as its Content-Transfer-Encoding says, well or badly. */
const encodedBody = (content: string) =>
  fc.record({ encoding: fc.constantFrom(...TRANSFER_ENCODINGS), damage: fc.constantFrom('none', 'none', 'none', 'junk', 'cut', 'one-line'), junk: fc.string({ unit: 'binary-ascii', maxLength: 40 }) }).map(
    ({ encoding, damage, junk }) => {
      const bytes = Buffer.from(content, 'latin1');
      let body: string;
      switch (encoding.toLowerCase()) {
        case 'base64':
          body = bytes.toString('base64');
          if (damage !== 'one-line') body = body.replace(/.{76}/g, '$&\r\n');
          break;
        case 'quoted-printable':
          body = content.replace(/[^\t\r\n -<>-~]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
          if (damage !== 'one-line') body = body.replace(/[^\r\n]{75}/g, '$&=\r\n');
          break;
        case 'x-uuencode':
          body = `begin 644 file.bin\r\n${content}\r\nend\r\n`;
          break;
        default:
          body = content;
      }
      if (damage === 'junk') body = `${body.slice(0, body.length >> 1)}${junk}${body.slice(body.length >> 1)}`;
      if (damage === 'cut') body = body.slice(0, Math.max(0, body.length - junk.length - 1));
      return { encoding, body };
    },
  );

/** A zip made here (stored or deflated, entry sizes sometimes lying) holding text and maybe a nested zip. */
const generatedZip = fc
  .record({
    names: fc.array(fc.oneof(fc.constantFrom('list.csv', 'report.txt', 'Jane Smith.txt', 'dir/', 'a/b/c.eml', 'page.html', 'x.xml'), filename), { minLength: 1, maxLength: 4 }),
    text: prose,
    deflate: fc.boolean(),
    lie: fc.constantFrom('none', 'none', 'none', 'encrypted', 'aes', 'sizes', 'nested'),
  })
  .map(({ names, text, deflate, lie }) => {
    const data = Buffer.from(text, 'utf8');
    const entries = names.map((name) => ({
      name,
      data,
      deflate,
      ...(lie === 'encrypted' ? { encryptedFlag: true } : {}),
      ...(lie === 'aes' ? { encryptedFlag: true, method: 99 } : {}),
      ...(lie === 'sizes' ? { declaredUncompressedSize: 0xfffffff0 } : {}),
    }));
    const zip = writeZip(entries);
    return (lie === 'nested' ? writeZip([{ name: 'inner.zip', data: zip, deflate }]) : zip).toString('latin1');
  });

const html = prose.map((text) => binary(`<html><body><table><tr><td>${text}</td><td>Smith</td></tr></table><p>${text}</body>`));
const csv = fc.array(fc.array(prose, { maxLength: 4 }), { maxLength: 6 }).map((rows) => binary(rows.map((r) => r.join(',')).join('\r\n')));

const leafType = fc.constantFrom(
  'text/plain', 'text/html', 'text/csv', 'application/octet-stream', 'application/zip', 'application/pdf', 'image/png',
  'application/pgp-encrypted', 'application/pkcs7-mime; smime-type=enveloped-data', 'text/calendar; method=REQUEST', 'text/rtf',
  'message/delivery-status', 'text', '/', ';;;', '', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
);

type HeaderSpec = { name: string; value: string; folds?: readonly number[] };

/** Header lines, each ended by `newline` (the message's: CRLF, or a bare LF as some clients write). */
function headerLines(headers: readonly HeaderSpec[], newline: Newline): string {
  return headers.map(({ name, value, folds }) => `${fold(`${name}: ${value}`, folds ?? [], newline)}${newline}`).join('');
}

/** Serialises headers + blank line + body. */
function part(headers: readonly HeaderSpec[], body: string, newline: Newline): string {
  return `${headerLines(headers, newline)}${newline}${body}`;
}

/**
 * A whole message: top-level headers, then a body tree of leaves, multiparts and attached
 * messages, serialised with one line ending, and perhaps cut short or sprinkled with NULs.
 */
export function mimeMessageArbitrary(newline: Newline): fc.Arbitrary<string> {
  const { message } = fc.letrec<{ node: string; leaf: string; multipart: string; message: string }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('multipart'), tie('message')),
    leaf: fc
      .record({
        type: leafType,
        charset,
        disposition: fc.constantFrom('', 'attachment', 'inline', 'attachment; size=999999999', 'form-data', ';'),
        parameter: fc.option(fileParameter, { nil: undefined }),
        content: fc.oneof(prose.map(binary), html, csv, rawBytes, generatedZip),
        extra: fc.array(extraHeader, { maxLength: 2 }),
      })
      .chain(({ type, charset, disposition, parameter, content, extra }) =>
        encodedBody(content).map(({ encoding, body }) => {
          const headers = [
            { name: 'Content-Type', value: `${type}${type.startsWith('text') ? `; charset=${charset}` : ''}${parameter && !disposition ? `; ${parameter}` : ''}` },
            ...(encoding ? [{ name: 'Content-Transfer-Encoding', value: encoding }] : []),
            ...(disposition ? [{ name: 'Content-Disposition', value: `${disposition}${parameter ? `; ${parameter}` : ''}` }] : []),
            ...extra,
          ];
          return part(headers, body, newline);
        }),
      ),
    multipart: fc
      .record({
        subtype: fc.constantFrom('mixed', 'alternative', 'related', 'report', 'signed', 'digest', 'encrypted', 'x-unknown', ''),
        boundary,
        quoted: fc.boolean(),
        children: fc.array(tie('node'), { maxLength: 4 }),
        preamble: fc.option(prose.map(binary), { nil: undefined }),
        epilogue: fc.option(prose.map(binary), { nil: undefined }),
        closed: fc.constantFrom(true, true, true, false),
        padding: fc.constantFrom('', '', ' ', '\t', '--'),
      })
      .map(({ subtype, boundary, quoted, children, preamble, epilogue, closed, padding }) => {
        const body =
          (preamble !== undefined ? `${preamble}${newline}` : '') +
          children.map((child) => `--${boundary}${padding}${newline}${child}${newline}`).join('') +
          (closed ? `--${boundary}--${newline}` : '') +
          (epilogue ?? '');
        return part([{ name: 'Content-Type', value: `multipart/${subtype}; boundary=${quoted ? `"${boundary}"` : boundary}` }], body, newline);
      }),
    message: fc
      .record({ headers: fc.array(extraHeader, { maxLength: 8 }), subject: fc.oneof(prose.map(binary), encodedWord), from: addressList, to: addressList, body: tie('node'), attached: fc.boolean() })
      .map(({ headers, subject, from, to, body, attached }) => {
        // The message's own headers, then the body node's (its Content-Type...), then its body.
        const inner = `${headerLines([{ name: 'From', value: from }, { name: 'To', value: to }, { name: 'Subject', value: subject }, ...headers], newline)}${body}`;
        if (!attached) return inner;
        return part([{ name: 'Content-Type', value: 'message/rfc822' }, { name: 'Content-Disposition', value: 'attachment; filename="forwarded.eml"' }], inner, newline);
      }),
  }));
  return message;
}

export interface RawMessageInput {
  text: string;
  /** Where to cut the message short (a fraction of its length), if at all. */
  cutAt: number | undefined;
  /** Positions at which a NUL byte replaces the byte there. */
  nuls: number[];
}

export const rawMessageArbitrary: fc.Arbitrary<RawMessageInput> = fc
  .constantFrom<Newline>('\r\n', '\r\n', '\n')
  .chain((newline) =>
    fc.record({
      text: mimeMessageArbitrary(newline),
      cutAt: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined, freq: 8 }),
      nuls: fc.array(fc.nat(), { maxLength: 3 }),
    }),
  );

export function messageBytes(input: RawMessageInput): Buffer {
  let bytes = Buffer.from(input.text, 'latin1');
  if (input.cutAt !== undefined) bytes = bytes.subarray(0, Math.floor(bytes.length * input.cutAt));
  for (const at of input.nuls) if (bytes.length > 0) bytes[at % bytes.length] = 0;
  return bytes;
}
