/** Settings as the configuration compiles them, for the layers above it to use. */
import type RE2 from 're2';
import type { DomainList } from './domain-list.js';

export interface AttachmentLimits {
  /** Largest message whose attachments are opened, in bytes; past it every attachment is unscannable. */
  maxMessageBytes: number;
  /** Largest attachment (or archive entry) inspected, in bytes. */
  maxAttachmentBytes: number;
  /** Most bytes inflated from archives in one message. */
  maxExtractedBytes: number;
  /** Deepest nesting of archives and attached messages. */
  maxDepth: number;
  /** Most entries in one archive. */
  maxEntries: number;
  /** Largest ratio of inflated to compressed size for one entry (zip bombs). */
  maxCompressionRatio: number;
  /**
   * Time for reading attachments in one message. Past it the attachment being read is
   * unscannable (and so held for a personal address) rather than the whole message
   * running into the inspection time budget and getting 451 on every retry.
   */
  maxMillis: number;
}

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

export interface RecipientLists {
  internal: DomainList;
  trusted: DomainList;
  personal: DomainList;
}

export interface SpecialCategoryTerm {
  category: string;
  term: string;
}

export interface RetrySettings {
  /** Delay after the first failed attempt; doubles each time, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** After this long in the outbox, an email that still cannot be sent is given up (moved to failed/). */
  giveUpAfterMs: number;
}

/** Template sources by file name relative to the templates directory (`hold.text.hbs`, `partials/rules.html.hbs`). */
export type TemplateSources = Record<string, string>;
