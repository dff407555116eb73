import type { DlpConfig } from '../config/load.js';
import { createAttachmentDetector } from './attachments.js';
import { createAutoForwardedDetector } from './forwarding/auto-forwarded.js';
import { createForwardedMessageDetector } from './forwarding/forwarded-message.js';
import { createPasswordDetector } from './password-in-message.js';
import { createPersonalDataDetector } from './personal-data/detector.js';
import type { Roster } from '../roster/roster.js';
import type { Detector, DetectorFactory } from './types.js';

/** Every detector the engine runs, in order. A new detector is one line here. */
export const DETECTOR_FACTORIES: readonly DetectorFactory[] = [
  createForwardedMessageDetector,
  createAutoForwardedDetector,
  createPersonalDataDetector,
  createAttachmentDetector,
  createPasswordDetector,
];

export function createDetectors(config: DlpConfig, roster: Roster): Detector[] {
  return DETECTOR_FACTORIES.map((create) => create(config, roster));
}
