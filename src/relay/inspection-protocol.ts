/** What the relay and its inspection processes say to each other. */
import type { Envelope, Verdict } from '../engine/types.js';
import type { SenderNoticeFacts } from '../notify/facts.js';
import type { ReviewDocument } from '../quarantine/types.js';
import type { RosterSummary } from '../roster/source.js';

/** A verdict, and for a message to be held, what its reviewer will be shown. */
export interface InspectionOutcome {
  verdict: Verdict;
  review?: ReviewDocument;
  /** For any verdict but pass: what the sender's guidance email needs of the message. */
  notice?: SenderNoticeFacts;
}

export interface InspectionTask {
  configDir: string;
  /** dlp.yaml as the relay validated it, so every worker judges by the same configuration. */
  configText: string;
  /** The roster the relay accepted (a snapshot file), or '' for none. */
  rosterSnapshot: string;
  raw: Uint8Array;
  envelope: Envelope;
  reference: string;
}

export interface RosterCheck {
  summary: RosterSummary;
  /** The accepted-if-you-like snapshot; the relay deletes it if it refuses the roster. */
  snapshot: string;
}

/** Sent to the relay when a task starts: the process to kill if the task runs out of time. */
export interface InspectionStarted {
  pid: number;
}
