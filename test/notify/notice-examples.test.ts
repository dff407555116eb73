/**
 * docs/guidance-emails.md shows one guidance email of each kind. They are not written by
 * hand: each is rendered here from a real inspection (the engine with the Riverside roster)
 * through the shipped templates, and must match the page word for word. After changing the
 * templates or the wording of a rule, run `WRITE_NOTICE_EXAMPLES=1 npx vitest run test/notify/notice-examples.test.ts`
 * to refresh the page, and read the result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { SHIPPED_RULES_DIR } from '../../src/config/load.js';
import { senderNoticeFacts } from '../../src/notify/facts.js';
import { noticeModel, type NoticeOutcome } from '../../src/notify/notice-model.js';
import { NoticeTemplates, readTemplateSources } from '../../src/notify/templates.js';
import { REPO_ROOT } from '../support/paths.js';
import { engineWithRoster } from '../support/roster.js';

const STAFF = 's.jones@example-trust.org.uk';
const ORGANISATION = { name: 'Riverside Academy Trust', dpoContact: 'dpo@example-trust.org.uk', policyUrl: 'https://example-trust.org.uk/policies/ict' };
const RECEIVED = new Date('2026-11-23T09:12:00Z');
const PAGE = join(REPO_ROOT, 'docs', 'guidance-emails.md');

interface Example {
  outcome: NoticeOutcome;
  reference: string;
  to: string;
  subject: string;
  text: string;
  attachments?: { filename: string; content: string }[];
  /** The held message's verdict is what the DPO's decision notices are about. */
  heldAs?: 'hold';
  dpoReason?: string;
}

const EXAMPLES: Example[] = [
  { outcome: 'warn', reference: 'DLP-4H7QK-M2XW9', to: 'tutor@riverside-tuition.example.com', subject: 'Re: Grace Hall - homework', text: 'Thank you for the extra reading sessions this half term.' },
  { outcome: 'hold', reference: 'DLP-8RT2D-KQ4MZ', to: 'helper.volunteer@gmail.com', subject: 'Reading', text: 'Jane Smith (DOB 04/02/2015) has moved up two reading levels this term.' },
  {
    outcome: 'reject',
    reference: 'DLP-7KQ2M-9XD4T',
    to: 'coach@riverside-swimming.example.com',
    subject: 'Swimming gala list',
    text: 'Here is the list for Thursday.',
    attachments: [{ filename: 'Year 5 swimmers.csv', content: 'Forename,Surname,UPN\nJane,Smith,H801200001001\nGrace,Hall,B801200005001\nThomas,Smith,T330400525017\n' }],
  },
  { outcome: 'released', reference: 'DLP-8RT2D-KQ4MZ', to: 'helper.volunteer@gmail.com', subject: 'Reading', text: 'Jane Smith (DOB 04/02/2015) has moved up two reading levels this term.', heldAs: 'hold' },
  {
    outcome: 'rejected',
    reference: 'DLP-3WQ9P-T6HCB',
    to: 'helper.volunteer@gmail.com',
    subject: 'Spelling',
    text: 'Grace Hall (DOB 01/09/2014) needs more practice with her spellings.',
    heldAs: 'hold',
    dpoReason: 'Volunteers are not sent pupil records. Please talk to me about what they need.',
  },
];

async function render(example: Example): Promise<string> {
  const engine = engineWithRoster();
  const raw = await new MailComposer({
    from: `Sarah Jones <${STAFF}>`,
    to: example.to,
    subject: example.subject,
    text: example.text,
    messageId: '<example@example-trust.org.uk>',
    ...(example.attachments ? { attachments: example.attachments } : {}),
  })
    .compile()
    .build();
  const message = await engine.parse(raw);
  const verdict = engine.inspectParsed(message, { mailFrom: STAFF, rcptTo: [example.to] }, example.reference, performance.now());
  expect(verdict.action).toBe(example.heldAs ?? example.outcome);
  const model = noticeModel({
    outcome: example.outcome,
    reference: example.reference,
    organisation: ORGANISATION,
    sender: STAFF,
    recipients: [example.to],
    receivedAt: RECEIVED,
    rules: verdict.rules,
    findings: verdict.findings,
    classified: verdict.recipients,
    facts: senderNoticeFacts(message, verdict.findings, STAFF),
    ...(example.outcome === 'hold' ? { reviewWithinHours: 24 } : {}),
    ...(example.dpoReason ? { dpoReason: example.dpoReason } : {}),
  });
  const notice = new NoticeTemplates(readTemplateSources(join(SHIPPED_RULES_DIR, 'notifications')).sources).render(model);
  return `From: Email data protection <dlp@example-trust.org.uk>\nTo: ${STAFF}\nSubject: ${notice.subject}\n\n${notice.text}`;
}

const block = (outcome: string): RegExp => new RegExp(`(<!-- notice-example:${outcome} -->\\n\`\`\`text\\n)([\\s\\S]*?)(\`\`\`\\n<!-- /notice-example -->)`);

describe('the guidance email examples in docs/guidance-emails.md', () => {
  it.each(EXAMPLES.map((e) => [e.outcome, e] as const))('%s: the page shows exactly what the shipped templates send', async (outcome, example) => {
    const rendered = await render(example);
    let page = readFileSync(PAGE, 'utf8');
    if (process.env['WRITE_NOTICE_EXAMPLES']) {
      page = page.replace(block(outcome), (_m, open: string, _old: string, close: string) => `${open}${rendered}${close}`);
      writeFileSync(PAGE, page);
    }
    const shown = block(outcome).exec(page);
    expect(shown, `docs/guidance-emails.md has no notice-example:${outcome} block`).not.toBeNull();
    expect(shown![2]).toBe(rendered);
    // The examples themselves must not leak what they are about.
    expect(rendered).not.toMatch(/Jane|Grace|Thomas|H801200001001|04\/02\/2015|01\/09\/2014/);
  });
});
