/**
 * Text from a PDF with pdf-parse (pdf.js). A PDF that needs a user password to open is
 * encrypted; one with only an owner password (printing or copying restricted) opens for
 * anyone, so it is read like any other.
 */
import { PDFParse } from 'pdf-parse';

export interface PdfResult {
  text: string;
  encrypted: boolean;
  timedOut: boolean;
}

/** Pages read between looks at the clock. */
const PAGES_PER_STEP = 5;

export async function pdfText(bytes: Buffer, deadline: number): Promise<PdfResult> {
  const parser = new PDFParse({ data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  try {
    const texts: string[] = [];
    let total = Infinity;
    // A few pages at a time, with the clock checked in between: pdf.js never yields to timers on its own.
    for (let first = 1; first <= total; first += PAGES_PER_STEP) {
      if (Date.now() > deadline) return { text: '', encrypted: false, timedOut: true };
      const step = await parser.getText({ first, last: Math.min(total, first + PAGES_PER_STEP - 1) });
      total = step.total;
      texts.push(step.text.replace(/^-- \d+ of \d+ --$/gm, ''));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { text: texts.join('\n'), encrypted: false, timedOut: false };
  } catch (error) {
    if ((error as Error).name === 'PasswordException') return { text: '', encrypted: true, timedOut: false };
    throw error;
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
