/**
 * What the personal-data rules share: which findings are personal data, who they are about,
 * and the known-contact exception (a parent writing about their own children).
 */
import {
  IDENTIFIER_FINDING_KINDS,
  PERSONAL_DATA_FINDING_KINDS,
  type ClassifiedRecipient,
  type Finding,
  type FindingKind,
} from '../../engine/types.js';

export const PERSONAL_DATA_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(PERSONAL_DATA_FINDING_KINDS);
export const IDENTIFIER_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(IDENTIFIER_FINDING_KINDS);

export function personalDataFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => PERSONAL_DATA_KINDS.has(f.kind));
}

/**
 * The finding is about these pupils only. An identifier of nobody on the roster is about
 * someone else; so is personal data not tied to any pupil. A name several pupils share
 * is about one of them: it is theirs if any of those pupils is.
 */
export function isOnlyAbout(finding: Finding, pupils: ReadonlySet<string>): boolean {
  if (finding.identifiers?.length || !finding.pupils?.length) return false;
  return finding.oneOf ? finding.pupils.some((id) => pupils.has(id)) : finding.pupils.every((id) => pupils.has(id));
}

/**
 * A known contact to whom every one of these findings is about their own children. A
 * finding tied to nobody (a date of birth far from any name: "please check Jane's date
 * of birth") does not take the exception away; a pupil or an identifier of someone else does.
 */
export function isOwnChildrensContact(recipient: ClassifiedRecipient, findings: readonly Finding[]): boolean {
  if (recipient.contactOf.length === 0) return false;
  const children = new Set(recipient.contactOf);
  return findings.every((f) => isAboutNobody(f) || isOnlyAbout(f, children));
}

function isAboutNobody(finding: Finding): boolean {
  return !finding.pupils?.length && !finding.identifiers?.length;
}

/**
 * Distinct people the findings refer to: roster pupils plus identifiers of nobody on the
 * roster. A shared name counts once, and not at all when one of its pupils is already counted.
 */
export function distinctPeople(findings: readonly Finding[]): number {
  const people = new Set<string>();
  for (const f of findings) {
    if (!f.oneOf) for (const id of f.pupils ?? []) people.add(id);
    for (const key of f.identifiers ?? []) people.add(`identifier:${key}`);
  }
  for (const f of findings) {
    if (f.oneOf && f.pupils && !f.pupils.some((id) => people.has(id))) people.add(`shared:${[...f.pupils].sort().join(',')}`);
  }
  return people.size;
}
