/** Which sources a connection may be, from its address, TLS and client certificate. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { admitConnection, type ConnectionFacts } from '../../src/sources/connection.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';

const sources = loadConfig(
  configDirWith(`${BASE_DLP_YAML}sources:
  - { name: office, kind: server, addresses: [192.0.2.10] }
  - { name: hq, kind: server, addresses: [192.0.2.20], certificate_names: [mail.example-trust.org.uk] }
  - { name: m365-a, kind: microsoft365, tenant_id: 6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b, addresses: ['2001:db8:1::/48'] }
  - { name: m365-b, kind: microsoft365, tenant_id: 0a0b0c0d-1111-2222-3333-444455556666, addresses: ['2001:db8:1::/48'] }
`),
).sources;

const plain = (ip: string): ConnectionFacts => ({ ip, tls: { enabled: false, verified: false } });
const secure = (ip: string, certificate?: { cn: string; san?: string }, verified = true): ConnectionFacts => ({
  ip,
  tls: { enabled: true, verified, certificate: certificate ? { subject: { CN: certificate.cn } as never, subjectaltname: certificate.san ?? `DNS:${certificate.cn}` } : undefined },
});
const names = (facts: ConnectionFacts): string[] | string => {
  const admission = admitConnection(sources, facts);
  return 'admitted' in admission ? admission.admitted.map((s) => s.name) : `${admission.refused.code} ${admission.refused.reason}`;
};

describe('admitConnection', () => {
  it.each([
    ['the office server, in clear', plain('192.0.2.10'), ['office']],
    ['the office server, over TLS', secure('192.0.2.10'), ['office']],
    ['a stranger', plain('198.51.100.7'), '550 not-a-source'],
    ['an IPv4-mapped address of the office server', plain('::ffff:192.0.2.10'), ['office']],
    ['hq with its certificate', secure('192.0.2.20', { cn: 'mail.example-trust.org.uk' }), ['hq']],
    ['hq with the name only in the subjectAltName', secure('192.0.2.20', { cn: 'Example Trust', san: 'DNS:relay.example.org, DNS:mail.example-trust.org.uk' }), ['hq']],
    ['hq in clear', plain('192.0.2.20'), '530 tls-required'],
    ['hq over TLS with no certificate', secure('192.0.2.20'), '550 certificate'],
    ['hq with a certificate that did not verify', secure('192.0.2.20', { cn: 'mail.example-trust.org.uk' }, false), '550 certificate'],
    ['hq with another name', secure('192.0.2.20', { cn: 'mail.other-school.org.uk' }), '550 certificate'],
    ['Exchange Online over TLS: both tenants remain possible, the message decides', secure('2001:db8:1::25'), ['m365-a', 'm365-b']],
    ['Exchange Online in clear', plain('2001:db8:1::25'), '530 tls-required'],
  ])('%s', (_what, facts, expected) => {
    expect(names(facts)).toEqual(expected);
  });

  it('lists the kinds and names of the sources to a stranger, never their addresses or tenants', () => {
    const admission = admitConnection(sources, plain('198.51.100.7'));
    expect('refused' in admission && admission.refused.text).toBe(
      'Relaying denied: 198.51.100.7 is not a sender this relay accepts mail from. Its sources are: mail server "office", mail server "hq", Microsoft 365 tenant "m365-a", Microsoft 365 tenant "m365-b".',
    );
  });
});
