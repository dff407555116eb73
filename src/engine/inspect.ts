import { performance } from 'node:perf_hooks';
import type { DlpConfig } from '../config/load.js';
import { createDetectors } from '../detectors/index.js';
import type { Detector } from '../detectors/types.js';
import { Policy } from '../policy/evaluate.js';
import { normaliseMessage } from './normalise.js';
import { classifyRecipient, NO_CONTACTS, type ContactDirectory } from './recipients.js';
import { newReference } from './reference.js';
import { mostSevere, type Envelope, type Finding, type NormalisedMessage, type Verdict } from './types.js';

export interface InspectionEngineOptions {
  /** Parent/carer contacts from the roster; none until a roster is configured. */
  contacts?: ContactDirectory;
}

/**
 * The inspection engine: raw message + envelope in, verdict out. No SMTP, no database,
 * no clock beyond timings: the relay, the CLI and the tests all call this.
 */
export class InspectionEngine {
  private readonly detectors: Detector[];
  private readonly policy: Policy;
  private readonly contacts: ContactDirectory;

  constructor(
    readonly config: DlpConfig,
    options: InspectionEngineOptions = {},
  ) {
    this.detectors = createDetectors(config);
    this.policy = new Policy(config.rules);
    this.contacts = options.contacts ?? NO_CONTACTS;
  }

  /** Parses the raw message and inspects it. */
  async inspect(raw: Buffer, envelope: Envelope, reference: string = newReference()): Promise<Verdict> {
    const started = performance.now();
    const message = await this.parse(raw);
    return this.inspectParsed(message, envelope, reference, started);
  }

  parse(raw: Buffer): Promise<NormalisedMessage> {
    return normaliseMessage(raw, { maxHtmlChars: this.config.inspection.maxHtmlChars });
  }

  /** Inspects a message already parsed with `parse`; `started` lets timings include the parse. */
  inspectParsed(
    message: NormalisedMessage,
    envelope: Envelope,
    reference: string = newReference(),
    started: number = performance.now(),
  ): Verdict {
    const parsed = performance.now();

    const recipients = envelope.rcptTo.map((address) =>
      classifyRecipient(address, this.config.recipientLists, this.contacts),
    );
    const context = { message, envelope, recipients };
    const findings: Finding[] = [];
    for (const detector of this.detectors) findings.push(...detector.detect(context));
    const rules = this.policy.evaluate(findings, recipients, message);
    const finished = performance.now();
    return {
      reference,
      action: mostSevere(rules.map((r) => r.action)),
      mode: this.config.mode,
      rules,
      findings,
      recipients,
      timings: {
        parseMs: round(parsed - started),
        detectMs: round(finished - parsed),
        totalMs: round(finished - started),
      },
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
