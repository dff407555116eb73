import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { BASE_DLP_YAML, configDirWith, configFrom } from '../support/config.js';
import { SHIPPED_CONFIG_DIR } from '../support/paths.js';

function problemsOf(yaml: string): string {
  try {
    configFrom(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('configuration was accepted');
}

describe('loadConfig', () => {
  it('loads the shipped config/dlp.yaml', () => {
    const config = loadConfig(SHIPPED_CONFIG_DIR);
    expect(config.mode).toBe('enforce');
    expect(config.organisation.internalDomains).toEqual(['example-trust.org.uk']);
    expect(config.rules.map((r) => r.id)).toEqual([
      'forward-to-personal-address',
      'personal-data-to-personal-address',
      'sensitive-subject',
      'pupil-name-in-subject',
      'bulk-personal-data',
      'special-category-in-body',
      'unscannable-attachment',
      'unencrypted-sensitive-attachment',
      'password-with-attachment',
    ]);
    // No roster ships: a trust points roster.file at its own MIS export.
    expect(config.rosterFiles).toEqual([]);
    expect(config.personalData.specialCategory.length).toBeGreaterThan(100);
    expect(config.personalData.commonWords.has('grace')).toBe(true);
  });

  it('applies a trust\'s overrides of action, clause, reason and guidance', () => {
    const config = configFrom(`${BASE_DLP_YAML}rules:
  forward-to-personal-address:
    action: hold
    clause: "Staff AUP 6.3"
    reason: "Do not forward work email home."
    guidance: "Use the staff portal."
`);
    expect(config.rules.find((r) => r.id === 'forward-to-personal-address')).toMatchObject({
      action: 'hold',
      clause: 'Staff AUP 6.3',
      reason: 'Do not forward work email home.',
      guidance: 'Use the staff portal.',
    });
  });

  it('keeps shipped wording where the trust sets only the action', () => {
    const rule = configFrom(`${BASE_DLP_YAML}rules:\n  forward-to-personal-address: { action: warn }\n`).rules[0]!;
    expect(rule.action).toBe('warn');
    expect(rule.clause).toBe("The trust's data protection policy: under no circumstance should school email be forwarded to personal accounts");
  });

  it('defaults mode to enforce and the inspection timeout to 20 s', () => {
    const config = configFrom('organisation:\n  name: T\n  internal_domains: [t.example]\n');
    expect(config.mode).toBe('enforce');
    expect(config.inspection.timeoutMs).toBe(20_000);
  });

  it('resolves roster files against the config directory', () => {
    const dir = configDirWith(`${BASE_DLP_YAML}roster:\n  files: [a.csv, sub/b.csv]\n`);
    expect(loadConfig(dir).rosterFiles).toEqual([`${dir}/a.csv`, `${dir}/sub/b.csv`]);
  });
});

describe('loadConfig refuses a bad configuration, naming file, line, key and problem', () => {
  it.each([
    ['a missing file', null, /dlp\.yaml: file not found/],
    ['invalid YAML', 'mode: [enforce\n', /dlp\.yaml:\d+: not valid YAML/],
    ['a duplicated key', `${BASE_DLP_YAML}mode: monitor\n`, /not valid YAML: Map keys must be unique/],
    ['an unknown mode', BASE_DLP_YAML.replace('enforce', 'sometimes'), /dlp\.yaml:1: mode: Invalid option: expected one of "enforce"\|"monitor"/],
    ['a misspelt key', `${BASE_DLP_YAML}recipents:\n  trusted_domains: []\n`, /dlp\.yaml:5: recipents: unknown key/],
    ['a missing organisation name', 'organisation:\n  internal_domains: [t.example]\n', /organisation\.name: Invalid input: expected string/],
    ['no internal domains', 'organisation:\n  name: T\n  internal_domains: []\n', /organisation\.internal_domains: list at least one/],
    ['a bad internal domain', 'organisation:\n  name: T\n  internal_domains: ["not a domain"]\n', /dlp\.yaml:3: organisation\.internal_domains\.0: "not a domain" is not a domain/],
    ['an unknown rule', `${BASE_DLP_YAML}rules:\n  forward-to-gmail: { action: reject }\n`, /dlp\.yaml:6: rules\.forward-to-gmail: no such rule \(rules are: forward-to-personal-address/],
    ['an unknown action', `${BASE_DLP_YAML}rules:\n  forward-to-personal-address: { action: block }\n`, /dlp\.yaml:6: rules\.forward-to-personal-address\.action: Invalid option/],
    ['an unknown threshold', `${BASE_DLP_YAML}rules:\n  forward-to-personal-address: { thresholds: { pupils: 3 } }\n`, /thresholds\.pupils: this rule has no thresholds/],
    ['a trusted entry covering a personal domain', `${BASE_DLP_YAML}recipients:\n  extra_trusted_domains: [partner.example, gmail.com]\n`, /recipients\.extra_trusted_domains\.1: "gmail\.com" covers the personal mailbox domain gmail\.com/],
    ['a trusted wildcard covering personal domains', `${BASE_DLP_YAML}recipients:\n  trusted_domains: ["*.co.uk"]\n`, /"\*\.co\.uk" covers the personal mailbox domain/],
    ['a pattern RE2 cannot run', `${BASE_DLP_YAML}forwarding:\n  extra_separators:\n    - { id: x, pattern: '^(a+)\\1$' }\n`, /forwarding\.extra_separators\.0\.pattern: pattern .* is not valid RE2 syntax/],
    ['a lookahead pattern', `${BASE_DLP_YAML}forwarding:\n  extra_separators:\n    - { id: x, pattern: '^(?=Fwd)' }\n`, /not valid RE2 syntax/],
    ['an internal domain that is a consumer mailbox provider', 'organisation:\n  name: T\n  internal_domains: [example-trust.org.uk, gmail.com]\n', /organisation\.internal_domains\.1: "gmail\.com" covers the personal mailbox domain gmail\.com; it cannot be internal/],
    ['an internal domain that is a public suffix', 'organisation:\n  name: T\n  internal_domains: [org.uk]\n', /organisation\.internal_domains\.0: "org\.uk" is a public suffix/],
    ['an empty personal-domain list', `${BASE_DLP_YAML}recipients:\n  personal_domains: []\n`, /recipients\.personal_domains: list at least one domain/],
    ['a subject prefix that is not a word', `${BASE_DLP_YAML}forwarding:\n  extra_subject_prefixes: { forward: ["FW:"] }\n`, /forwarding\.extra_subject_prefixes\.forward\.0: must be a word of 1 to 10 letters/],
    ['a timeout out of range', `${BASE_DLP_YAML}inspection:\n  timeout_ms: 10\n`, /inspection\.timeout_ms: Too small/],
  ])('%s', (_, yaml, message) => {
    const text = yaml === null ? expectMissing() : problemsOf(yaml);
    expect(text).toMatch(message);
  });

  it('reports every problem at once', () => {
    const text = problemsOf(`mode: sometimes
organisation:
  name: T
  internal_domains: [t.example]
rules:
  forward-to-personal-address: { action: block }
`);
    expect(text).toMatch(/2 problems/);
    expect(text).toMatch(/mode/);
    expect(text).toMatch(/action/);
  });
});

describe('problems in the shipped data files are reported against those files', () => {
  it('names rules/personal-domains.txt, not dlp.yaml, for a bad shipped entry', async () => {
    const { cpSync, mkdtempSync, appendFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { SHIPPED_RULES_DIR } = await import('../../src/config/load.js');
    const rulesDir = mkdtempSync(join(tmpdir(), 'dlp-rules-'));
    cpSync(SHIPPED_RULES_DIR, rulesDir, { recursive: true });
    appendFileSync(join(rulesDir, 'personal-domains.txt'), 'not a domain\n');
    expect(() => loadConfig(configDirWith(BASE_DLP_YAML), { rulesDir })).toThrow(/personal-domains\.txt: entry \d+ \(not a domain\): "not a domain" is not a domain/);
  });
});

function expectMissing(): string {
  try {
    loadConfig('/nonexistent-dlp-config-dir');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('loaded');
}
