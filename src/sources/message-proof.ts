/**
 * Proof, from the message itself, that mail from a cloud provider's shared servers is the
 * trust's own: the tenant id Exchange Online stamps, or a fresh DKIM signature of the trust's
 * domain that Gmail adds before handing mail to its outbound gateway. A connection from the
 * provider's addresses proves only that it is one of the provider's many customers.
 * See docs/research/cloud-sources.md for the evidence behind each check.
 */
import { createHash } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { domainOfAddress } from '../config/domain-list.js';
import type { SourceRule } from '../config/sources.js';

export type Proof =
  | { proven: true; detail: string; signature?: { key: string; signedAt: Date } }
  /** `temporary`: it could not be checked just now (a DNS failure); asking again later may prove it. */
  | { proven: false; why: string; temporary?: boolean };

/** Exchange Online's stamp of the tenant that sent the message. */
export const TENANT_ID_HEADER = 'X-MS-Exchange-CrossTenant-Id';

/**
 * Microsoft 365: at least one tenant id header, and every one of them the trust's. Exchange
 * Online restamps the header as mail leaves a tenant, so a copy a sender wrote in can only
 * add a second, different value, which is refused like a foreign tenant.
 */
export function proveTenant(values: readonly string[], tenantId: string): Proof {
  const ids = values.map((v) => v.trim().toLowerCase());
  if (ids.length === 0) return { proven: false, why: `it has no ${TENANT_ID_HEADER} header, so it cannot be shown to come from the trust's Microsoft 365 tenant` };
  const foreign = ids.find((id) => id !== tenantId);
  if (foreign !== undefined) {
    return {
      proven: false,
      why: ids.length > 1 ? `its ${TENANT_ID_HEADER} headers disagree (${ids.length} values)` : `it comes from another Microsoft 365 tenant (${TENANT_ID_HEADER} ${foreign.slice(0, 36)})`,
    };
  }
  return { proven: true, detail: `tenant ${tenantId}` };
}

export type TxtResolver = (name: string, type: string) => Promise<string[][]>;

export interface DkimProofDeps {
  resolver: TxtResolver;
  now: Date;
  /** Signatures mail has already been accepted under (a copy re-sent is refused). */
  /**
   * Claims the signature for this message: false when it is already used or claimed. May
   * reject (the record cannot be read): the proof is then temporary.
   */
  claim(key: string): Promise<boolean>;
}

/** How far a signature's time may be in the future (clocks differ). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Google Workspace: a DKIM signature that verifies, by one of the trust's domains, aligned
 * with the From address (itself a trust domain), signed within the source's age limit, not
 * limited to part of the body (l=), and never used before. Another Google customer can get a
 * genuinely signed message of ours only by receiving it, after it passed through this relay:
 * a copy re-sent is already spent (or, past the age limit, stale).
 */
export async function proveDkim(raw: Buffer, source: Pick<SourceRule, 'dkimDomains' | 'signatureMaxAgeMs'>, mailFrom: string, deps: DkimProofDeps): Promise<Proof> {
  const domains = source.dkimDomains!;
  const maxAgeMs = source.signatureMaxAgeMs!;
  if (mailFrom && !domains.has(domainOfAddress(mailFrom))) {
    return { proven: false, why: `its envelope sender is not at one of the trust's domains (${domains.entries.join(', ')})` };
  }
  const result = await dkimVerify(raw, { resolver: deps.resolver, curTime: deps.now });
  const fromDomains = (result.headerFrom ?? []).map((address: string) => domainOfAddress(address));
  if (fromDomains.length !== 1 || !domains.has(fromDomains[0]!)) {
    return { proven: false, why: `its From address is not a single address at one of the trust's domains` };
  }
  const signatures = (result.results ?? []) as DkimResult[];
  const ours = signatures.filter((s) => s.signingDomain && domains.has(s.signingDomain.toLowerCase()));
  if (ours.length === 0) return { proven: false, why: `it has no DKIM signature of the trust's domains (${domains.entries.join(', ')})` };
  let why = '';
  for (const signature of ours) {
    let problem = signatureProblem(signature, maxAgeMs, deps);
    if (!problem) {
      const key = signatureKey(signature);
      try {
        if (await deps.claim(key)) {
          return { proven: true, detail: `DKIM d=${signature.signingDomain} s=${signature.selector}`, signature: { key, signedAt: new Date(signature.signTime!) } };
        }
      } catch (error) {
        return { proven: false, temporary: true, why: `whether its DKIM signature was used before could not be checked just now (${error instanceof Error ? error.message : String(error)})` };
      }
      problem = `its DKIM signature of ${signature.signingDomain} has been used for an earlier message (a copy sent again)`;
    }
    why ||= problem;
  }
  // The key could not be fetched: the message may be ours, so the sending server should try again.
  const unreachable = ours.find((s) => s.status?.result === 'temperror');
  if (unreachable) return { proven: false, temporary: true, why: `the DKIM key of ${unreachable.signingDomain} could not be looked up just now` };
  return { proven: false, why };
}

interface DkimResult {
  signingDomain?: string;
  selector?: string;
  signature?: string;
  signTime?: string | null;
  canonBodyLengthLimited?: boolean;
  status?: { result?: string; comment?: string; aligned?: string | false };
}

function signatureProblem(signature: DkimResult, maxAgeMs: number, deps: Pick<DkimProofDeps, 'now'>): string | undefined {
  const d = signature.signingDomain;
  if (signature.status?.result !== 'pass') return `its DKIM signature of ${d} does not verify (${signature.status?.result ?? 'no result'}${signature.status?.comment ? `: ${signature.status.comment}` : ''})`;
  if (!signature.status.aligned) return `its DKIM signature of ${d} is not aligned with its From address`;
  if (signature.canonBodyLengthLimited) return `its DKIM signature of ${d} covers only part of the body (l=)`;
  if (!signature.signTime) return `its DKIM signature of ${d} carries no signing time (t=)`;
  const age = deps.now.getTime() - new Date(signature.signTime).getTime();
  if (age > maxAgeMs) return `its DKIM signature of ${d} was made ${duration(age)} ago, longer than the ${duration(maxAgeMs)} allowed (a copy sent again later)`;
  if (age < -CLOCK_SKEW_MS) return `its DKIM signature of ${d} is dated in the future`;
  return undefined;
}

/**
 * What identifies a signature: its domain and the signature's bytes. The base64 text of b= is
 * not signed, and decoders forgive stray characters and padding, so a copy could carry the same
 * signature written differently: the bytes, as the verifier itself decodes them, are the same.
 */
function signatureKey(signature: DkimResult): string {
  const bytes = Buffer.from((signature.signature ?? '').replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(`${(signature.signingDomain ?? '').toLowerCase()}\0`).update(bytes).digest('base64url');
}

/** "40 minutes", "25 hours": how long ago a signature was made, as a technician reads it. */
function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `${minutes} minutes` : `${Math.round(minutes / 60)} hours`;
}
