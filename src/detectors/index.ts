import type { DlpConfig } from '../config/load.js';
import { createAutoForwardedDetector } from './forwarding/auto-forwarded.js';
import { createForwardedMessageDetector } from './forwarding/forwarded-message.js';
import type { Detector, DetectorFactory } from './types.js';

/** Every detector the engine runs, in order. A new detector is one line here. */
export const DETECTOR_FACTORIES: readonly DetectorFactory[] = [createForwardedMessageDetector, createAutoForwardedDetector];

export function createDetectors(config: DlpConfig): Detector[] {
  return DETECTOR_FACTORIES.map((create) => create(config));
}
