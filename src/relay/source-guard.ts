/**
 * The relay's side of `sources:`: RCPT TO is refused to a client that is none of them, and
 * at the end of DATA a message from a cloud provider's shared servers must prove it is the
 * trust's own before it is inspected. Refusals are logged as one JSON line, with no content.
 */
import type { DlpConfig } from '../config/load.js';
import type { SourceRule } from '../config/sources.js';
import { admitConnection, describeSource, type ConnectionFacts } from '../sources/connection.js';
import { txtResolver } from '../sources/dns.js';
import { headerFieldValues } from '../sources/header-fields.js';
import { proveDkim, proveTenant, TENANT_ID_HEADER, type Proof, type TxtResolver } from '../sources/message-proof.js';
import type { SpentSignatures } from './spent-signatures.js';

/** Connection note: the names of the sources this connection was admitted as. */
export const ADMITTED_NOTE = 'dlp_sources';

export interface HarakaClientConnection {
  remote: { ip: string };
  tls: { enabled: boolean; verified: boolean; peerCertificate?: ConnectionFacts['tls']['certificate'] };
  relaying: boolean;
  notes: Record<string, unknown>;
  /** Haraka's socket; after STARTTLS, `cleartext` is the TLS socket. */
  client?: { cleartext?: { _handle?: { verifyError?: () => Error | null } } };
}

/**
 * Whether the client's certificate verified against tls.ini's `ca` (or Node's public roots).
 * Haraka 3.3.4 reports `tls.verified` from `TLSSocket.authorized`, which Node sets only for
 * sockets a tls.Server accepted; Haraka upgrades a plain socket with STARTTLS, so it is always
 * false. OpenSSL did verify the chain (tls.ini requestCert=true): read its result the way
 * Node's own server does.
 */
function clientCertificateVerified(connection: HarakaClientConnection): boolean {
  if (connection.tls.verified === true) return true;
  const verifyError = connection.client?.cleartext?._handle?.verifyError;
  // With no certificate sent there is nothing to verify (and OpenSSL reports no error).
  if (typeof verifyError !== 'function' || !connection.tls.peerCertificate?.subject) return false;
  return verifyError.call(connection.client!.cleartext!._handle) === null;
}

export type MessageAdmission =
  | {
      admitted: true;
      source: SourceRule;
      detail: string;
      /** Call once the message is answered: `final` (2xx or 5xx) spends a Google signature; a 4xx gives it back for the retry. */
      answered(final: boolean): void;
    }
  | { admitted: false; temporary: boolean; why: string; sources: SourceRule[] };

/** A signature may be a little in the future (clocks differ): it stays usable that much longer. */
const CLOCK_SKEW_MS = 5 * 60_000;

export class SourceGuard {
  private resolverFor: { settings: DlpConfig['dns']; resolver: TxtResolver } | undefined;

  constructor(
    private readonly config: () => DlpConfig,
    private readonly spent: SpentSignatures,
  ) {}

  /** At RCPT TO: which sources this client may be (marks the connection as relaying), or the refusal to answer. */
  admit(connection: HarakaClientConnection): ReturnType<typeof admitConnection> {
    const admission = admitConnection(this.config().sources, {
      ip: connection.remote.ip,
      tls: { enabled: connection.tls.enabled, verified: connection.tls.enabled && clientCertificateVerified(connection), certificate: connection.tls.peerCertificate },
    });
    if ('admitted' in admission) {
      connection.relaying = true;
      connection.notes[ADMITTED_NOTE] = admission.admitted;
    }
    return admission;
  }

  /**
   * At the end of DATA: the message proves it is the trust's. A mail server source needs no
   * more than its connection; a cloud source needs the proof its kind gives, from any one of
   * the sources the connection was admitted as.
   */
  async admitMessage(connection: HarakaClientConnection, message: { raw: Buffer; mailFrom: string }): Promise<MessageAdmission> {
    // The very rules the connection was admitted under, if they are still in force: a reload
    // that changed a source (its kind, say) must not carry a connection admitted by the old one.
    const admitted = connection.notes[ADMITTED_NOTE];
    const inForce = this.config().sources;
    const sources = Array.isArray(admitted) ? inForce.filter((s) => admitted.includes(s)) : [];
    if (sources.length === 0) return { admitted: false, temporary: true, why: 'the sources were reconfigured during the session', sources };
    const server = sources.find((s) => s.kind === 'server');
    if (server) return { admitted: true, source: server, detail: 'mail server', answered: () => undefined };
    const failures: Array<Proof & { proven: false }> = [];
    for (const source of sources) {
      const proof = await this.prove(source, message);
      if (proof.proven) {
        const signature = proof.signature;
        const keepUntil = signature && new Date(signature.signedAt.getTime() + (source.signatureMaxAgeMs ?? 0) + CLOCK_SKEW_MS);
        return {
          admitted: true,
          source,
          detail: proof.detail,
          answered: (final) => {
            if (!signature) return;
            void (final ? this.spent.spend(signature.key, keepUntil!) : this.spent.release(signature.key));
          },
        };
      }
      failures.push(proof);
    }
    return {
      admitted: false,
      temporary: failures.some((f) => f.temporary),
      why: failures.map((f, i) => `${describeSource(sources[i]!)}: ${f.why}`).join('; '),
      sources,
    };
  }

  private prove(source: SourceRule, message: { raw: Buffer; mailFrom: string }): Promise<Proof> {
    if (source.kind === 'microsoft365') return Promise.resolve(proveTenant(headerFieldValues(message.raw, TENANT_ID_HEADER), source.tenantId!));
    return proveDkim(message.raw, source, message.mailFrom, { resolver: this.resolver(), now: new Date(), claim: (key) => this.spent.claim(key) }).catch(
      (error: unknown): Proof => ({ proven: false, temporary: true, why: `its DKIM signature could not be checked (${error instanceof Error ? error.message : String(error)})` }),
    );
  }

  private resolver(): TxtResolver {
    const settings = this.config().dns;
    if (this.resolverFor?.settings !== settings) this.resolverFor = { settings, resolver: txtResolver(settings) };
    return this.resolverFor.resolver;
  }
}
