import { performance } from 'node:perf_hooks';
import { AttachmentWalker } from '../attachments/extract.js';
import type { DlpConfig } from '../config/load.js';
import { createDetectors } from '../detectors/index.js';
import type { Detector } from '../detectors/types.js';
import { Policy } from '../policy/evaluate.js';
import { normaliseMessage } from './normalise.js';
import { Roster } from '../roster/roster.js';
import { classifyRecipient } from './recipients.js';
import { newReference } from './reference.js';
import { mostSevere, type Envelope, type Finding, type NormalisedMessage, type Verdict } from './types.js';

export interface InspectionEngineOptions {
  /** The pupils (names, UPNs, parent/carer contacts); an empty roster when none is configured. */
  roster?: Roster;
  /** Today's date; the real one unless a test fixes it. */
  today?: () => Date;
}

/**
 * The inspection engine: raw message + envelope in, verdict out. No SMTP, no database,
 * no clock beyond timings: the relay, the CLI and the tests all call this.
 */
export class InspectionEngine {
  private readonly detectors: Detector[];
  private readonly policy: Policy;
  readonly roster: Roster;
  private readonly today: () => Date;

  constructor(
    readonly config: DlpConfig,
    options: InspectionEngineOptions = {},
  ) {
    this.roster = options.roster ?? Roster.empty();
    this.detectors = createDetectors(config, this.roster);
    this.policy = new Policy(config.rules);
    this.today = options.today ?? (() => new Date());
  }

  /** Parses the raw message and inspects it. */
  async inspect(raw: Buffer, envelope: Envelope, reference: string = newReference()): Promise<Verdict> {
    const started = performance.now();
    const message = await this.parse(raw);
    return this.inspectParsed(message, envelope, reference, started);
  }

  /** Parses the message and opens its attachments (archives and attached messages walked, within the limits). */
  async parse(raw: Buffer): Promise<NormalisedMessage> {
    const limits = { maxHtmlChars: this.config.inspection.maxHtmlChars };
    const message = await normaliseMessage(raw, limits);
    const walker = new AttachmentWalker(this.config.attachments, async (attached) => {
      const inner = await normaliseMessage(attached, limits);
      // An attached message is read headers and all: who it was from and to is part of what it discloses.
      const headers = inner.headers.filter((h) => ['from', 'to', 'cc', 'subject', 'date'].includes(h.name)).map((h) => `${h.name}: ${h.value}`);
      return { text: [...headers, inner.subject, inner.text, inner.htmlText].join('\n'), attachments: inner.attachments };
    });
    await walker.walk(message.attachments, '', 0, raw.length);
    message.parts = walker.parts;
    return message;
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
      classifyRecipient(address, this.config.recipientLists, this.roster),
    );
    const context = { message, envelope, recipients, today: this.today().toISOString().slice(0, 10) };
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
