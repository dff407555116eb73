/** What stops the relay from starting, or is warned of, beyond dlp.yaml itself. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkDeployment } from '../../src/relay/deployment-checks.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';

function check(sources: string, files: Record<string, string> = {}, plugins = ['dlp']) {
  const dir = configDirWith(`${BASE_DLP_YAML}${sources ? `sources:\n${sources}` : ''}`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return checkDeployment(loadConfig(dir), plugins);
}

describe('checkDeployment: sources that would make an open relay', () => {
  it.each([
    ["Exchange Online's shared addresses as a mail server", '  - { name: exo, kind: server, addresses: [40.107.0.0/16] }\n', /mail server "exo" lists 40\.107\.0\.0\/16, within Exchange Online's sending addresses \(every Microsoft 365 customer's\)/],
    ['one Google address as a mail server', '  - { name: g, kind: server, addresses: [209.85.128.25] }\n', /mail server "g" lists 209\.85\.128\.25, within Google's sending addresses/],
    ['a block that contains a provider block', '  - { name: wide, kind: server, addresses: [40.0.0.0/8] }\n', /mail server "wide" lists 40\.0\.0\.0\/8, within Exchange Online's/],
    ['every IPv4 address', '  - { name: any, kind: server, addresses: [0.0.0.0/0] }\n', /mail server "any" lists 0\.0\.0\.0\/0, every address there is: anyone may relay through it/],
    ['every IPv6 address', "  - { name: any6, kind: server, addresses: ['::/0'] }\n", /every address there is/],
    [
      "a configured tenant's own addresses as a mail server",
      "  - { name: m365, kind: microsoft365, tenant_id: 6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b, addresses: [192.0.2.0/24] }\n  - { name: office, kind: server, addresses: [192.0.2.10] }\n",
      /mail server "office" lists 192\.0\.2\.10, within Microsoft 365 tenant "m365": .* mail from the provider is taken through m365/,
    ],
  ])('stops start-up for %s', (_what, sources, problem) => {
    const { problems } = check(sources);
    expect(problems.join('\n')).toMatch(problem);
  });

  it('lets an ordinary mail server and the cloud kinds through', () => {
    const { problems } = check("  - { name: office, kind: server, addresses: [192.0.2.10, '2001:db8::25'] }\n");
    expect(problems).toEqual([]);
  });

  it('warns when the PROXY protocol lets other hosts choose the client address', () => {
    const { warnings } = check('  - { name: office, kind: server, addresses: [192.0.2.10] }\n', { 'connection.ini': '[haproxy]\nhosts[] = 192.0.2.80\n' });
    expect(warnings.join('\n')).toMatch(/connection\.ini \[haproxy\] lets 192\.0\.2\.80 say, with the PROXY protocol, which address a client connects from/);
  });

  it("refuses Haraka's relay plugin and a plugin list without dlp", () => {
    expect(check('', {}, ['relay', 'dlp']).problems.join('\n')).toMatch(/lists "relay"/);
    expect(check('', {}, ['tls']).problems.join('\n')).toMatch(/does not list "dlp"/);
  });
});
