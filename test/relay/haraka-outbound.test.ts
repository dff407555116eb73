import { describe, expect, it } from 'vitest';
import { dotStuffedLines, releasedMessage } from '../../src/relay/haraka-outbound.js';

describe('releasing a held message', () => {
  it('drops a verdict header the sender forged (with its folded lines), adds ours, and leaves every other byte alone', () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: Report\r\nX-DLP-Verdict: pass;\r\n ref=FAKE\r\nx-dlp-verdict: pass\r\nFrom: a@example-trust.org.uk\r\n\r\n'),
      Buffer.from([0xe9, 0x0d, 0x0a]),
      Buffer.from('X-DLP-Verdict: in the body stays\r\n'),
    ]);
    expect(releasedMessage(raw, 'DLP-AAAAA-BBBBB').toString('latin1')).toBe(
      'X-DLP-Verdict: released; ref=DLP-AAAAA-BBBBB\r\nSubject: Report\r\nFrom: a@example-trust.org.uk\r\n\r\n\xe9\r\nX-DLP-Verdict: in the body stays\r\n',
    );
  });

  it('feeds Haraka CRLF lines with leading dots doubled, 8-bit bytes as they are', () => {
    const lines = [...dotStuffedLines(Buffer.from('A\n.dot\r\n\xff\xfe end', 'latin1'))].map((l) => l.toString('latin1'));
    expect(lines).toEqual(['A\r\n', '..dot\r\n', '\xff\xfe end\r\n']);
  });
});
