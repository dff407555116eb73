import type { DlpConfig } from '../config/load.js';
import type { ClassifiedRecipient, Envelope, Finding, NormalisedMessage } from '../engine/types.js';

/** What a detector may read. Detectors never do I/O. */
export interface InspectionContext {
  message: NormalisedMessage;
  envelope: Envelope;
  recipients: ClassifiedRecipient[];
}

/** One kind of evidence. Small, pure, and registered in ./index.ts. */
export interface Detector {
  readonly name: string;
  detect(context: InspectionContext): Finding[];
}

export type DetectorFactory = (config: DlpConfig) => Detector;
