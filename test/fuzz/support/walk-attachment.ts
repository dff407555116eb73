/**
 * The attachment walker called directly on one file, with the engine's limits and its way of
 * reading attached messages, and the checks every walk must pass.
 */
import { expect } from 'vitest';
import { AttachmentWalker, type ExtractedPart } from '../../../src/attachments/extract.js';
import type { DlpConfig } from '../../../src/config/load.js';
import { normaliseMessage } from '../../../src/engine/normalise.js';

export async function walkOne(config: DlpConfig, name: string, bytes: Buffer, contentType: string): Promise<ExtractedPart[]> {
  const walker = new AttachmentWalker(config.attachments, async (attached) => {
    const inner = await normaliseMessage(attached, { maxHtmlChars: config.inspection.maxHtmlChars });
    return { text: [inner.subject, inner.text, inner.htmlText].join('\n'), attachments: inner.attachments };
  });
  // Documented never to throw for bad input: damage and limits become `unscannable`.
  await walker.walk([{ filename: name, contentType, size: bytes.length, isMessage: contentType === 'message/rfc822', content: bytes }], '', 0, bytes.length);
  expect(walker.parts.length).toBeGreaterThan(0);
  for (const part of walker.parts) {
    expect(typeof part.text).toBe('string');
    expect(Array.isArray(part.entryNames)).toBe(true);
  }
  return walker.parts;
}
