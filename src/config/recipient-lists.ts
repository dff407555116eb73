import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainList, parseDomainEntry, parseDomainListText } from '../engine/domain-list.js';
import type { RecipientLists } from '../engine/recipients.js';
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
  const valid = ({ entries, report }: DomainSource): string[] =>
    entries.filter((entry, i) => {
      if (parseDomainEntry(entry)) return true;
      report(i, `"${entry}" is not a domain or a *.domain wildcard`);
      return false;
    });

  const r = file.recipients;
  const personalEntries = [
    ...valid(r.personal_domains ? fromConfig(['recipients', 'personal_domains'], r.personal_domains) : fromFile('personal-domains.txt')),
    ...valid(fromConfig(['recipients', 'extra_personal_domains'], r.extra_personal_domains ?? [])),
  ];
  const personalCovered = (entry: string): string | undefined => {
    const single = new DomainList([entry]);
    return personalEntries.find((p) => single.has(p.replace(/^\*\./, '')));
  };

  const internalSource = fromConfig(['organisation', 'internal_domains'], file.organisation.internal_domains);
  const internalEntries = valid(internalSource).filter((entry) => {
    const i = internalSource.entries.indexOf(entry);
    const domain = parseDomainEntry(entry)!.domain;
    if (!domain.includes('.') || UK_PUBLIC_SUFFIXES.has(domain)) {
      internalSource.report(i, `"${entry}" is a public suffix shared by many organisations, not the trust's own domain`);
      return false;
    }
    const covered = personalCovered(entry);
    if (covered) internalSource.report(i, `"${entry}" covers the personal mailbox domain ${covered}; it cannot be internal`);
    return !covered;
  });

  const trustedSources = [
    r.trusted_domains ? fromConfig(['recipients', 'trusted_domains'], r.trusted_domains) : fromFile('trusted-domains.txt'),
    fromConfig(['recipients', 'extra_trusted_domains'], r.extra_trusted_domains ?? []),
  ];
  const trustedEntries = trustedSources.flatMap((source) =>
    valid(source).filter((entry) => {
      const covered = personalCovered(entry);
      if (covered) source.report(source.entries.indexOf(entry), `"${entry}" covers the personal mailbox domain ${covered}; personal mailboxes cannot be trusted`);
      return !covered;
    }),
  );

  return { internal: new DomainList(internalEntries), personal: new DomainList(personalEntries), trusted: new DomainList(trustedEntries) };
}
