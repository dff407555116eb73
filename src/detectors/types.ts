import type { DlpConfig } from '../config/load.js';
import type { ClassifiedRecipient, Envelope, Finding, NormalisedMessage } from '../engine/types.js';
import type { Roster } from '../roster/roster.js';

/** What a detector may read. Detectors never do I/O. */
export interface InspectionContext {
  message: NormalisedMessage;
  envelope: Envelope;
  recipients: ClassifiedRecipient[];
  /** The date of inspection (yyyy-mm-dd), for telling birth dates from future dates. */
  today: string;
}

/** One kind of evidence. Small, pure, and registered in ./index.ts. */
export interface Detector {
  readonly name: string;
  detect(context: InspectionContext): Finding[];
}

/** Builds a detector once per configuration and roster; inspection then only reads. */
export type DetectorFactory = (config: DlpConfig, roster: Roster) => Detector;
