import type RE2 from 're2';

/** A compiled marker pattern from rules/forwarding.yaml or the trust's configuration (always RE2). */
export interface CompiledPattern {
  id: string;
  /** What the marker is, in words a reviewer reads ("Gmail's 'Forwarded message' line"). */
  label: string;
  source: string;
  regex: RE2;
}

/** A header whose presence (or, with a pattern, whose value) is evidence. */
export interface HeaderMarker {
  id: string;
  /** Lower-case header name. */
  header: string;
  /** The header name as the data file writes it, for messages. */
  label: string;
  /** Tested against the value when set; without it, presence is enough. */
  value?: CompiledPattern;
}

export type HeaderBlockField = 'from' | 'sent' | 'to' | 'cc' | 'subject';

/** Everything the forwarding detectors know about what clients write, compiled from data. */
export interface ForwardingPatterns {
  forwardPrefixes: Set<string>;
  replyPrefixes: Set<string>;
  /** Lines that only a forward writes. */
  separators: CompiledPattern[];
  /** Lines that start quoted mail in replies and forwards alike. */
  quoteSeparators: CompiledPattern[];
  /** HTML that only a forward writes. */
  htmlMarkers: CompiledPattern[];
  headerBlockFields: Record<HeaderBlockField, string[]>;
  forwardHeaders: HeaderMarker[];
  autoForwardHeaders: HeaderMarker[];
  autoForwardEnvelopeSenders: CompiledPattern[];
}
