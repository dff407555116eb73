/** The proofs a cloud source's message must give, checked with real signatures (mailauth) and real keys. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainList } from '../../src/config/domain-list.js';
import { proveDkim, proveTenant, type TxtResolver } from '../../src/sources/message-proof.js';
import { dkimSigned } from '../support/dkim.js';
import { crlf } from '../support/send.js';

const TENANT = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const OTHER = '0a0b0c0d-1111-2222-3333-444455556666';

describe('proveTenant: the tenant id Exchange Online stamps', () => {
  it.each([
    ['one header with our id', [TENANT], true],
    ['our id in capitals, with spaces', [` ${TENANT.toUpperCase()} `], true],
    ['our id twice (restamped)', [TENANT, TENANT], true],
    ['no header', [], false],
    ['another tenant', [OTHER], false],
    ['ours and another, either order', [TENANT, OTHER], false],
    ['another and ours', [OTHER, TENANT], false],
    ['an empty header', [''], false],
  ])('%s: %s', (_what, values, proven) => {
    expect(proveTenant(values, TENANT).proven).toBe(proven);
  });

  it('says which tenant the message came from, and never more than a GUID of it', () => {
    expect(proveTenant([OTHER], TENANT)).toEqual({ proven: false, why: `it comes from another Microsoft 365 tenant (X-MS-Exchange-CrossTenant-Id ${OTHER})` });
    const long = proveTenant(['x'.repeat(500)], TENANT);
    expect(!long.proven && long.why.length).toBeLessThan(150);
  });
});

describe('proveDkim: a fresh, unused signature of the trust\'s domain', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const records = new Map([
    ['google._domainkey.example-trust.org.uk', key],
    ['google._domainkey.staff.example-trust.org.uk', key],
    ['google._domainkey.another.example', other],
  ]);
  const resolver: TxtResolver = async (name) => {
    const found = records.get(name);
    if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [[`v=DKIM1; k=rsa; p=${found.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`]];
  };
  const unreachable: TxtResolver = async () => {
    throw Object.assign(new Error('queryTxt ETIMEOUT'), { code: 'ETIMEOUT' });
  };
  const source = { dkimDomains: new DomainList(['example-trust.org.uk']), signatureMaxAgeMs: 60 * 60_000 };
  const now = new Date();
  const message = (from = 's.jones@example-trust.org.uk', body = 'The coach leaves at 8.45.') =>
    crlf(`From: Sarah Jones <${from}>\nTo: r.patel@riverside.example.com\nSubject: Trip\nDate: ${now.toUTCString()}\nMessage-ID: <${Math.random()}@example-trust.org.uk>\n\n${body}\n`);
  const sign = (raw: Buffer, domain = 'example-trust.org.uk', options: { signTime?: Date; privateKey?: typeof key } = {}) =>
    dkimSigned(raw, { domain, selector: 'google', privateKey: (options.privateKey ?? key).privateKey }, options.signTime ? { signTime: options.signTime } : {});
  const prove = (raw: Buffer, mailFrom = 's.jones@example-trust.org.uk', deps: { resolver?: TxtResolver; used?: Set<string>; claim?: (key: string) => Promise<boolean> } = {}) => {
    const used = deps.used ?? new Set<string>();
    const claim = deps.claim ?? (async (key: string) => !used.has(key) && Boolean(used.add(key)));
    return proveDkim(raw, source, mailFrom, { resolver: deps.resolver ?? resolver, now, claim });
  };

  it('proves a signature of the trust\'s domain (or a subdomain), and names what it proved with', async () => {
    const proof = await prove(await sign(message()));
    expect(proof).toMatchObject({ proven: true, detail: 'DKIM d=example-trust.org.uk s=google', signature: { key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), signedAt: expect.any(Date) } });
    expect((await prove(await sign(message('a@staff.example-trust.org.uk'), 'staff.example-trust.org.uk'), 'a@staff.example-trust.org.uk')).proven).toBe(true);
  });

  it('refuses a signature already used, however its b= is written out', async () => {
    const raw = await sign(message());
    const used = new Set<string>();
    expect(await prove(raw, undefined, { used })).toMatchObject({ proven: true, signature: { key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } });
    const again = /has been used for an earlier message/;
    expect(await prove(raw, undefined, { used })).toMatchObject({ proven: false, why: expect.stringMatching(again) });
    // The base64 of b= is not signed, and decoders forgive stray characters and padding.
    const text = raw.toString('latin1');
    const b = /\bb=([A-Za-z0-9+/=]+(?:\r\n[ \t]+[A-Za-z0-9+/=]+)*)/.exec(text)!;
    const rewritten = [b[1]!.replace(/=+\s*$/, '') + '====', `.${b[1]}`, b[1]!.replace(/(.{20})/, '$1\r\n ')];
    for (const variant of rewritten) {
      const copy = Buffer.from(text.replace(b[0], `b=${variant}`), 'latin1');
      expect(await prove(copy, undefined, { used }), variant.slice(0, 30)).toMatchObject({ proven: false, why: expect.stringMatching(again) });
    }
  });

  it('is temporary when the record of used signatures cannot be read', async () => {
    const proof = await prove(await sign(message()), undefined, { claim: () => Promise.reject(new Error('the quarantine store is down')) });
    expect(proof).toMatchObject({ proven: false, temporary: true, why: expect.stringMatching(/could not be checked just now \(the quarantine store is down\)/) });
  });

  it.each([
    ['an unsigned message', async () => message(), /no DKIM signature of the trust's domains/],
    ['another domain\'s signature', async () => sign(message(), 'another.example', { privateKey: other }), /no DKIM signature of the trust's domains/],
    ['a signature that does not verify (wrong key)', async () => sign(message(), 'example-trust.org.uk', { privateKey: other }), /does not verify/],
    ['a body changed after signing', async () => Buffer.from((await sign(message())).toString('latin1').replace('8.45', '9.45'), 'latin1'), /does not verify/],
    ['a signature made two hours ago', async () => sign(message(), 'example-trust.org.uk', { signTime: new Date(now.getTime() - 2 * 3_600_000) }), /made 2 hours ago, longer than the 60 minutes allowed/],
    ['a signature dated an hour ahead', async () => sign(message(), 'example-trust.org.uk', { signTime: new Date(now.getTime() + 3_600_000) }), /dated in the future/],
    ['a From outside the trust', async () => sign(message('someone@another.example')), /From address is not a single address at one of the trust's domains/],
  ])('refuses %s', async (_what, make, why) => {
    const proof = await prove(await make());
    expect(proof.proven).toBe(false);
    expect(!proof.proven && proof.why).toMatch(why);
    expect(!proof.proven && proof.temporary).toBeFalsy();
  });

  it('refuses a signature that covers only part of the body (l=), so nothing can be added after it', async () => {
    const partial = await dkimSigned(message(), { domain: 'example-trust.org.uk', selector: 'google', privateKey: key.privateKey }, { bodyLength: 10 });
    expect(partial.toString('latin1')).toMatch(/\bl=10\b/);
    const appended = Buffer.concat([partial, Buffer.from('Forward this list to everyone.\r\n')]);
    expect(await prove(appended)).toMatchObject({ proven: false, why: expect.stringMatching(/covers only part of the body \(l=\)/) });
  });

  it('refuses a message with two From addresses, or two From headers', async () => {
    const two = await sign(crlf(message().toString('latin1').replace(/^From: .*$/m, 'From: s.jones@example-trust.org.uk, someone@another.example')));
    expect(await prove(two)).toMatchObject({ proven: false, why: expect.stringMatching(/not a single address/) });
    const twice = await sign(crlf(`From: someone@another.example\n${message().toString('latin1')}`));
    expect((await prove(twice)).proven).toBe(false);
  });

  it("takes the trust's signature among others, and not another domain's beside it", async () => {
    const both = await sign(await sign(message(), 'another.example', { privateKey: other }));
    expect(await prove(both)).toMatchObject({ proven: true, detail: 'DKIM d=example-trust.org.uk s=google' });
  });

  it('refuses an envelope sender outside the trust before looking anything up', async () => {
    expect(await prove(await sign(message()), 'bounce@another.example', { resolver: unreachable })).toMatchObject({ proven: false, why: expect.stringMatching(/envelope sender/) });
  });

  it('is temporary when the key cannot be looked up, so the sender retries', async () => {
    expect(await prove(await sign(message()), undefined, { resolver: unreachable })).toMatchObject({ proven: false, temporary: true, why: expect.stringMatching(/could not be looked up just now/) });
  });
});
