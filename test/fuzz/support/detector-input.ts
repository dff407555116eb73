/**
 * A detector fuzz input (one text, the places it is put) and the message it makes, and the
 * check that every finding's span lies inside the text it names.
 */
import { expect } from 'vitest';
import type { Finding, NormalisedMessage } from '../../../src/engine/types.js';
import { sourceText } from '../../../src/quarantine/review-document.js';

export const PLACES = ['subject', 'text', 'htmlText', 'attachment name', 'entry names', 'part text'] as const;
export type Place = (typeof PLACES)[number];

export interface DetectorInput {
  text: string;
  places: Place[];
  recipients: number;
}

export function messageWithText({ text, places }: DetectorInput): NormalisedMessage {
  const at = (place: Place): string => (places.includes(place) ? text : '');
  const name = at('attachment name') || 'notes.txt';
  return {
    headers: [{ name: 'subject', value: at('subject') }],
    subject: at('subject'),
    from: [{ address: 'teacher@example-trust.org.uk', name: 'Teacher' }],
    to: [{ address: 'helper@gmail.com', name: at('subject').slice(0, 200) }],
    cc: [],
    bcc: [],
    text: at('text'),
    html: '',
    htmlText: at('htmlText'),
    attachments: [{ filename: name, contentType: 'text/plain', size: 1, isMessage: false, content: Buffer.alloc(1) }],
    parts: [
      {
        path: name,
        depth: 0,
        trueType: 'zip',
        declaredType: 'application/zip',
        size: 1,
        text: at('part text'),
        entryNames: at('entry names') ? at('entry names').split('\n') : [],
      },
    ],
    size: text.length,
  };
}

/** Every finding's span lies inside the text of its location and source. */
export function expectSpansInside(findings: readonly Finding[], message: NormalisedMessage): void {
  for (const finding of findings) {
    if (!finding.span) continue;
    const text = sourceText(finding.location, finding.span.in, message);
    expect(text, `the text behind ${finding.kind}@${finding.location} (${finding.span.in})`).toBeDefined();
    if (finding.span.in === 'name') expect(message.parts.map((p) => p.path)).toContain(text);
    expect(finding.span.start).toBeGreaterThanOrEqual(0);
    expect(finding.span.end).toBeGreaterThanOrEqual(finding.span.start);
    expect(finding.span.end).toBeLessThanOrEqual(text!.length);
  }
}
