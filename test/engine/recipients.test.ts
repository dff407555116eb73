import { describe, expect, it } from 'vitest';
import { DomainList } from '../../src/config/domain-list.js';
import { classifyRecipient } from '../../src/engine/recipients.js';
import { configFrom } from '../support/config.js';

describe('DomainList (policy: an entry covers its subdomains, *. covers subdomains only)', () => {
  const list = new DomainList(['nhs.net', '*.sch.uk', 'Example-Trust.org.uk']);
  it.each([
    ['nhs.net', 'nhs.net'],
    ['x.nhs.net', 'nhs.net'],
    ['a.b.nhs.net', 'nhs.net'],
    ['NHS.NET', 'nhs.net'],
    ['nhs.net.', 'nhs.net'],
    ['riverside.lancs.sch.uk', '*.sch.uk'],
    ['example-trust.org.uk', 'example-trust.org.uk'],
    ['staff.example-trust.org.uk', 'example-trust.org.uk'],
  ])('%s matches %s', (domain, entry) => {
    expect(list.match(domain)).toBe(entry);
  });
  it.each([
    'sch.uk',
    'notnhs.net',
    'nhs.net.evil.com',
    'example-trust.org.uk.evil.com',
    'evil-example-trust.org.uk',
    '',
    '[192.0.2.1]',
  ])('%s does not match', (domain) => {
    expect(list.match(domain)).toBeUndefined();
  });
  it('refuses an entry that is not a domain', () => {
    expect(() => new DomainList(['not a domain'])).toThrow(/not a domain/);
  });
  it('matches internationalised domains in their punycode form', () => {
    expect(new DomainList(['bücher.example']).match('XN--BCHER-KVA.example')).toBe('xn--bcher-kva.example');
  });
});

describe('classifyRecipient with the shipped lists', () => {
  const config = configFrom();
  const classify = (address: string) => classifyRecipient(address, config.recipientLists);
  it.each([
    ['head@example-trust.org.uk', 'internal'],
    ['Head@Staff.Example-Trust.org.uk', 'internal'],
    ['parent@gmail.com', 'personal'],
    ['parent@GoogleMail.com', 'personal'],
    ['someone@hotmail.co.uk', 'personal'],
    ['someone@btinternet.com', 'personal'],
    ['someone@sky.com', 'personal'],
    ['someone@icloud.com', 'personal'],
    ['someone@proton.me', 'personal'],
    ['someone@mail.yahoo.co.uk', 'personal'],
    ['sendco@lancashire.gov.uk', 'trusted'],
    ['gp@nhs.net', 'trusted'],
    ['pc@lancashire.police.uk', 'trusted'],
    ['office@riverside.lancs.sch.uk', 'trusted'],
    ['office@sch.uk', 'external'],
    ['orders@supplier.example.com', 'external'],
    ['someone@gmail.com.evil.example', 'external'],
    ['someone@example-trust.org.uk.evil.com', 'external'],
  ])('%s is %s', (address, cls) => {
    expect(classify(address).class).toBe(cls);
  });
  it('says why, in words a DPO can read', () => {
    expect(classify('x@gmail.com').because).toBe('gmail.com is a personal mailbox provider');
    expect(classify('x@mail.yahoo.co.uk').because).toBe('mail.yahoo.co.uk is a personal mailbox provider (yahoo.co.uk)');
  });
  it('lower-cases the address and marks known contacts', () => {
    const result = classifyRecipient('Parent@Gmail.com', config.recipientLists, {
      pupilsOf: (a) => (a === 'parent@gmail.com' ? ['p1'] : []),
    });
    expect(result).toMatchObject({ address: 'parent@gmail.com', domain: 'gmail.com', knownContact: true, contactOf: ['p1'] });
  });
  it('covers every personal domain the default policy names', () => {
    const named = 'gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk live.com live.co.uk msn.com yahoo.com yahoo.co.uk ymail.com icloud.com me.com mac.com aol.com aol.co.uk btinternet.com sky.com virginmedia.com blueyonder.co.uk ntlworld.com talktalk.net protonmail.com proton.me gmx.com gmx.co.uk mail.com zoho.com yandex.com'.split(' ');
    for (const domain of named) expect(classify(`a@${domain}`).class, domain).toBe('personal');
  });
});

describe('classifyRecipient with a trust\'s own lists', () => {
  it('uses configured trusted domains instead of the shipped ones, and extra personal domains as well', () => {
    const config = configFrom(`organisation:
  name: T
  internal_domains: [example-trust.org.uk]
recipients:
  trusted_domains: [partner.example.org]
  extra_personal_domains: [isp.example.net]
`);
    expect(classifyRecipient('a@partner.example.org', config.recipientLists).class).toBe('trusted');
    expect(classifyRecipient('a@nhs.net', config.recipientLists).class).toBe('external');
    expect(classifyRecipient('a@isp.example.net', config.recipientLists).class).toBe('personal');
    expect(classifyRecipient('a@gmail.com', config.recipientLists).class).toBe('personal');
  });
});
