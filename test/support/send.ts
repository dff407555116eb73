import nodemailer from 'nodemailer';

export interface SendResult {
  accepted: boolean;
  code: number;
  response: string;
}

export interface SendOptions {
  /** Connect from this loopback address (a provider's sending host, in the source tests). */
  localAddress?: string;
  /** STARTTLS, required, trusting `ca` for the relay's certificate (named `servername`); `cert`/`key` are the client's certificate. */
  tls?: { ca: string; servername: string; cert?: string; key?: string };
}

/** Sends raw bytes through the relay with a real SMTP client and reports the server's final reply. */
export async function sendRaw(port: number, envelope: { from: string; to: string[] }, raw: Buffer | string, options: SendOptions = {}): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    name: 'mail.example-trust.org.uk',
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    ...(options.tls
      ? { requireTLS: true, tls: { ca: [options.tls.ca], servername: options.tls.servername, ...(options.tls.cert ? { cert: options.tls.cert, key: options.tls.key } : {}) } }
      : { ignoreTLS: true }),
  });
  try {
    const info = await transport.sendMail({ envelope, raw });
    return { accepted: true, code: Number(String(info.response).slice(0, 3)), response: String(info.response) };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    if (e.responseCode === undefined) throw error;
    return { accepted: false, code: e.responseCode, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}

/** Fixtures are stored with LF endings; SMTP carries CRLF. */
export function crlf(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
