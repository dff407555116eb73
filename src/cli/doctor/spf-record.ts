/**
 * Just enough SPF (RFC 7208) for doctor's questions: which address blocks a record lists,
 * which records it includes, and which mechanisms it has that doctor does not follow (a, mx,
 * ptr, exists, redirect), so that "not covered" is only said when it is certain.
 */
export interface SpfRecord {
  text: string;
  /** The values of ip4: and ip6: mechanisms that pass (no qualifier, or +). */
  networks: string[];
  /** Domains of include: mechanisms that pass. */
  includes: string[];
  /** Mechanisms and modifiers that may let other addresses pass, not followed here. */
  unfollowed: string[];
}

/** The SPF records among a name's TXT records (more than one is itself an error: receivers then ignore SPF). */
export function spfRecordsIn(txt: readonly string[]): string[] {
  return txt.filter((record) => /^v=spf1(\s|$)/i.test(record.trim()));
}

export function parseSpf(text: string): SpfRecord {
  const record: SpfRecord = { text, networks: [], includes: [], unfollowed: [] };
  for (const term of text.trim().split(/\s+/).slice(1)) {
    const qualifier = /^[+\-~?]/.test(term) ? term[0] : '+';
    const body = qualifier === '+' ? term.replace(/^\+/, '') : term.slice(1);
    const [, name = '', value = ''] = /^([a-z0-9]+)[:=]?(.*)$/i.exec(body) ?? [];
    const mechanism = name.toLowerCase();
    if (mechanism === 'redirect') record.unfollowed.push(body);
    if (qualifier !== '+') continue;
    if (mechanism === 'ip4' || mechanism === 'ip6') record.networks.push(value);
    else if (mechanism === 'include') record.includes.push(value.toLowerCase());
    else if (['a', 'mx', 'ptr', 'exists'].includes(mechanism)) record.unfollowed.push(body);
  }
  return record;
}
