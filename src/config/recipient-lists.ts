import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainList, parseDomainEntry, parseDomainListText } from './domain-list.js';
import type { RecipientLists } from './settings.js';
import { ConfigError } from './errors.js';
import type { ProblemAt } from './problems.js';
import type { DlpConfigFile } from './schema.js';

// Registry-controlled UK suffixes: a trust that lists one as "internal" would exempt whole
// sectors (every company, every charity) from inspection.
const UK_PUBLIC_SUFFIXES = new Set(['uk', 'co.uk', 'org.uk', 'me.uk', 'ltd.uk', 'plc.uk', 'net.uk', 'ac.uk', 'gov.uk', 'sch.uk', 'nhs.uk', 'police.uk', 'mod.uk']);

interface DomainSource {
  entries: readonly string[];
  /** Where a problem with an entry is reported: a key of dlp.yaml, or a shipped file. */
  report: (index: number, problem: string) => void;
}

/** Returns why an entry may not be used, or undefined when it may. */
type EntryCheck = (entry: string) => string | undefined;

/** The entries that pass every check; the first failed check of any other entry is reported at its index. */
function keep({ entries, report }: DomainSource, ...checks: EntryCheck[]): string[] {
  return entries.filter((entry, i) => {
    for (const check of checks) {
      const problem = check(entry);
      if (problem) {
        report(i, problem);
        return false;
      }
    }
    return true;
  });
}

const isDomain: EntryCheck = (entry) => (parseDomainEntry(entry) ? undefined : `"${entry}" is not a domain or a *.domain wildcard`);

const isNotPublicSuffix: EntryCheck = (entry) => {
  const domain = parseDomainEntry(entry)!.domain;
  return !domain.includes('.') || UK_PUBLIC_SUFFIXES.has(domain)
    ? `"${entry}" is a public suffix shared by many organisations, not the trust's own domain`
    : undefined;
};

/**
 * Builds the internal, personal and trusted lists from dlp.yaml and the shipped files in
 * rules/, refusing entries that would defeat the policy (a trusted or internal entry that
 * covers a consumer mailbox provider, or an internal entry that is a whole public suffix).
 */
export function buildRecipientLists(file: DlpConfigFile, rulesDir: string, at: ProblemAt, shippedAt: (path: string) => ProblemAt): RecipientLists {
  const fromConfig = (key: string[], entries: readonly string[]): DomainSource => ({ entries, report: (i, p) => at([...key, i], p) });
  const fromFile = (name: string): DomainSource => {
    const path = join(rulesDir, name);
    let entries: string[];
    try {
      entries = parseDomainListText(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new ConfigError([{ file: path, key: '', problem: 'cannot be read' }], { cause });
    }
    return { entries, report: (i, p) => shippedAt(path)([`entry ${i + 1} (${entries[i]})`], p) };
  };

  const r = file.recipients;
  const personalEntries = [
    ...keep(r.personal_domains ? fromConfig(['recipients', 'personal_domains'], r.personal_domains) : fromFile('personal-domains.txt'), isDomain),
    ...keep(fromConfig(['recipients', 'extra_personal_domains'], r.extra_personal_domains ?? []), isDomain),
  ];
  // A trusted or internal entry that covers a consumer mailbox provider would let personal mail through.
  const coversNoPersonal =
    (consequence: string): EntryCheck =>
    (entry) => {
      const single = new DomainList([entry]);
      const covered = personalEntries.find((p) => single.has(p.replace(/^\*\./, '')));
      return covered ? `"${entry}" covers the personal mailbox domain ${covered}; ${consequence}` : undefined;
    };

  const internalEntries = keep(
    fromConfig(['organisation', 'internal_domains'], file.organisation.internal_domains),
    isDomain,
    isNotPublicSuffix,
    coversNoPersonal('it cannot be internal'),
  );
  const trustedEntries = [
    r.trusted_domains ? fromConfig(['recipients', 'trusted_domains'], r.trusted_domains) : fromFile('trusted-domains.txt'),
    fromConfig(['recipients', 'extra_trusted_domains'], r.extra_trusted_domains ?? []),
  ].flatMap((source) => keep(source, isDomain, coversNoPersonal('personal mailboxes cannot be trusted')));

  return { internal: new DomainList(internalEntries), personal: new DomainList(personalEntries), trusted: new DomainList(trustedEntries) };
}
