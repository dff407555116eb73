/**
 * Personal data about pupils: names from the roster, identifiers, dates of birth,
 * special-category terms and home contact details, in the subject, the body (text and
 * HTML as text) and attachment names. Names and identifiers are the anchors: dates,
 * terms and contact details count only near one, and are attributed to the nearest.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { DlpConfig } from '../../config/load.js';
import type { Finding, FindingKind, FindingLocation, TextSource } from '../../engine/types.js';
import type { Roster } from '../../roster/roster.js';
import { foldText } from '../../text/fold.js';
import type { Detector, InspectionContext } from '../types.js';
import { findDates, isPastDate, isPupilAge } from './birth-dates.js';
import { findContactDetails } from './contact-details.js';
import { findIdentifiers, type IdentifierHit } from './identifiers.js';
import { SpecialCategoryDictionary } from './special-category.js';

/** A date this close to a pupil's name, on the same line, is read as that pupil's date of birth ("Jane Smith 04/02/2015", "Smith,Jane,5B,04/02/2015"). */
const BESIDE_NAME_CHARS = 20;
/**
 * Past this many findings of one kind in one place (a class list pasted into the body), the
 * rest are summarised in one finding that still carries every pupil, so counts stay exact
 * and the verdict stays small.
 */
const MAX_FINDINGS_PER_KIND = 50;

interface Segment {
  location: FindingLocation;
  source: TextSource;
  text: string;
}

interface Anchor {
  start: number;
  end: number;
  pupils: string[];
  identifierKey?: string;
  /** A pupil's name, as opposed to an identifier. */
  isName: boolean;
}

export function createPersonalDataDetector(config: DlpConfig, roster: Roster): Detector {
  const dictionary = new SpecialCategoryDictionary(config.personalData.specialCategory);
  const proximity = config.personalData.proximityChars;

  return {
    name: 'personal-data',
    detect({ message, today }: InspectionContext): Finding[] {
      const all: Segment[] = [
        { location: 'subject', source: 'subject', text: message.subject },
        { location: 'body', source: 'text', text: message.text },
        { location: 'body', source: 'html', text: message.htmlText },
        ...message.attachments.map((a): Segment => ({ location: `attachment:${a.filename}`, source: 'name', text: a.filename })),
        // What each attachment holds, nested ones included; an archive's entry names even when it is encrypted.
        ...message.parts.flatMap((part): Segment[] => [
          { location: `attachment:${part.path}`, source: 'entries', text: part.entryNames.join('\n') },
          { location: `attachment:${part.path}`, source: 'content', text: part.text },
        ]),
      ];
      const segments = all.filter((segment) => segment.text.trim() !== '');

      const findings = new FindingList();
      // Identifier keys only need to tell numbers apart within this message: a fresh key
      // each time means they cannot be looked up or matched across messages.
      const identifierSalt = randomBytes(16);
      let subjectPupils: string[] = [];
      for (const { location, source, text } of segments) {
        const folded = foldText(text);
        const at = (span: Span): Pick<Finding, 'span'> => ({ span: { in: source, start: span.start, end: span.end } });
        const anchors: Anchor[] = [];

        for (const hit of roster.names.find(folded)) {
          anchors.push({ start: hit.start, end: hit.end, pupils: hit.pupils, isName: true });
          findings.add({ kind: 'pupil-name', location, excerpt: hit.excerpt, evidence: 'roster-name', ...about(anchors.at(-1)), ...at(hit) });
        }
        for (const hit of findIdentifiers(text)) {
          const anchor = identifierAnchor(hit, roster, identifierSalt);
          anchors.push(anchor);
          findings.add({ kind: hit.kind, location, excerpt: hit.excerpt, evidence: IDENTIFIER_EVIDENCE[hit.kind], ...about(anchor), ...at(hit) });
        }
        if (location === 'subject') subjectPupils = [...new Set(anchors.flatMap((a) => a.pupils))];

        // Beyond the anchors of their own text, dates and terms in the body may be about the pupil the subject names.
        const fallback: Anchor | undefined =
          location === 'body' && subjectPupils.length > 0 ? { start: 0, end: 0, pupils: subjectPupils, isName: true } : undefined;

        const names = new AnchorIndex(anchors.filter((a) => a.isName));
        const owners = new AnchorIndex(anchors);
        for (const date of findDates(text, today)) {
          const beside = names.nearest(date, BESIDE_NAME_CHARS, (a) => !text.slice(Math.min(a.end, date.end), Math.max(a.start, date.start)).includes('\n'));
          const besideIsPupil = beside && (isPupilAge(date.iso, today) || beside.pupils.some((id) => roster.pupil(id)?.dateOfBirth === date.iso));
          if (besideIsPupil) {
            findings.add({ kind: 'date-of-birth', location, excerpt: date.excerpt, evidence: 'beside-pupil-name', ...about(beside), ...at(date) });
          } else if (date.labelled && isPastDate(date.iso, today)) {
            const owner = owners.owner(date, proximity) ?? fallback;
            findings.add({ kind: 'date-of-birth', location, excerpt: date.excerpt, evidence: 'birth-context', ...about(owner), ...at(date) });
          }
        }
        for (const term of dictionary.find(folded)) {
          const owner = owners.owner(term, proximity) ?? fallback;
          if (!owner) continue;
          findings.add({
            kind: 'special-category',
            location,
            excerpt: `${term.category}: ${term.term}`,
            evidence: `special-category-${term.category}`,
            ...about(owner),
            ...at(term),
          });
        }
        for (const contact of findContactDetails(text)) {
          const owner = owners.owner(contact, proximity);
          if (!owner) continue;
          findings.add({ kind: 'contact-details', location, excerpt: contact.excerpt, evidence: `home-${contact.what}`, ...about(owner), ...at(contact) });
        }
      }
      return findings.toArray();
    },
  };
}

const IDENTIFIER_EVIDENCE: Record<IdentifierHit['kind'], string> = {
  upn: 'upn-check-letter',
  uln: 'uln-check-digit',
  'nhs-number': 'nhs-number-mod-11',
  'ni-number': 'ni-number-format',
};

/** A UPN on the roster refers to that pupil; any other identifier to someone the roster does not know. */
function identifierAnchor(hit: IdentifierHit, roster: Roster, salt: Buffer): Anchor {
  const pupil = hit.kind === 'upn' ? roster.pupilWithUpn(hit.compact) : undefined;
  if (pupil) return { start: hit.start, end: hit.end, pupils: [pupil], isName: false };
  const identifierKey = createHmac('sha256', salt).update(`${hit.kind}:${hit.compact}`).digest('hex').slice(0, 16);
  return { start: hit.start, end: hit.end, pupils: [], identifierKey, isName: false };
}

function about(anchor: Anchor | undefined): Pick<Finding, 'pupils' | 'oneOf' | 'identifiers'> {
  if (!anchor) return {};
  if (anchor.pupils.length > 1) return { pupils: anchor.pupils, oneOf: true };
  if (anchor.pupils.length === 1) return { pupils: anchor.pupils };
  return anchor.identifierKey ? { identifiers: [anchor.identifierKey] } : {};
}

interface Span {
  start: number;
  end: number;
}

/**
 * Anchors sorted by position, for finding the one nearest a date, term or address in
 * logarithmic time: a pasted class list has thousands of each.
 */
class AnchorIndex {
  private readonly all: Anchor[];
  private readonly pupils: Anchor[];

  constructor(anchors: readonly Anchor[]) {
    this.all = [...anchors].sort((a, b) => a.start - b.start);
    this.pupils = this.all.filter((a) => a.pupils.length > 0);
  }

  /** The anchor closest to `span` that `accept`s, if one is within `limit` characters of it. */
  nearest(span: Span, limit: number, accept: (anchor: Anchor) => boolean = () => true, sorted: readonly Anchor[] = this.all): Anchor | undefined {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sorted[mid]!.start <= span.start) low = mid + 1;
      else high = mid;
    }
    let best: Anchor | undefined;
    let bestGap = Infinity;
    const consider = (anchor: Anchor): number => {
      const gap = Math.max(0, anchor.start - span.end, span.start - anchor.end);
      if (gap <= limit && gap < bestGap && accept(anchor)) [best, bestGap] = [anchor, gap];
      return gap;
    };
    // Anchors barely overlap, so gaps grow monotonically away from the span: stop at the first too far.
    for (let i = low - 1; i >= 0 && consider(sorted[i]!) <= limit; i--);
    for (let i = low; i < sorted.length && consider(sorted[i]!) <= limit; i++);
    return best;
  }

  /** Whom a date, term or address near pupil data is about: the nearest roster pupil, else the nearest identifier. */
  owner(span: Span, limit: number): Anchor | undefined {
    return this.nearest(span, limit, undefined, this.pupils) ?? this.nearest(span, limit);
  }
}

/** Findings without repeats (the text and HTML parts usually say the same), bounded per kind and place. */
class FindingList {
  private readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly overflow = new Map<string, { first: Finding; hidden: number; pupils: Set<string>; identifiers: Set<string> }>();
  private readonly locationIds = new Map<string, number>();

  add(finding: Finding): void {
    // A location is as long as an attachment's name, which hostile mail makes a megabyte of
    // pupils' names: keys carry a number for it, or each finding would copy the name.
    let where = this.locationIds.get(finding.location);
    if (where === undefined) this.locationIds.set(finding.location, (where = this.locationIds.size));
    const key = `${finding.kind}|${where}|${finding.excerpt}|${finding.pupils?.join(',') ?? ''}|${finding.identifiers?.join(',') ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const place = `${finding.kind}|${where}`;
    const count = (this.counts.get(place) ?? 0) + 1;
    this.counts.set(place, count);
    // A finding about one of several pupils who share a name is kept whole: a summary cannot say which.
    if (count <= MAX_FINDINGS_PER_KIND || finding.oneOf) {
      this.findings.push(finding);
      return;
    }
    let summary = this.overflow.get(place);
    if (!summary) {
      summary = { first: finding, hidden: 0, pupils: new Set(), identifiers: new Set() };
      this.overflow.set(place, summary);
    }
    summary.hidden++;
    for (const id of finding.pupils ?? []) summary.pupils.add(id);
    for (const key of finding.identifiers ?? []) summary.identifiers.add(key);
  }

  toArray(): Finding[] {
    const summaries = [...this.overflow.values()].map(({ first, hidden, pupils, identifiers }): Finding => ({
      kind: first.kind,
      location: first.location,
      evidence: first.evidence,
      excerpt: `and ${hidden} more ${KIND_PLURALS[first.kind] ?? 'findings'} like these`,
      ...(pupils.size > 0 ? { pupils: [...pupils] } : {}),
      ...(identifiers.size > 0 ? { identifiers: [...identifiers] } : {}),
    }));
    return [...this.findings, ...summaries];
  }
}

const KIND_PLURALS: Partial<Record<FindingKind, string>> = {
  'pupil-name': 'pupil names',
  upn: 'UPNs',
  uln: 'ULNs',
  'nhs-number': 'NHS numbers',
  'ni-number': 'NI numbers',
  'date-of-birth': 'dates of birth',
  'special-category': 'special-category terms',
  'contact-details': 'contact details',
};
