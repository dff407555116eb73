/**
 * What a guidance email costs the relay's event loop (it is made there, after the reply):
 * building the notice from a verdict and rendering the templates, composing the MIME with
 * nodemailer, and writing it to the outbox; then how fast the outbox empties into a real
 * SMTP server. The verdict is a real one (a reject with three rules and a dozen findings).
 * Writes bench/results/notices.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import MailComposer from 'nodemailer/lib/mail-composer';
import { it } from 'vitest';
import { SHIPPED_RULES_DIR } from '../src/config/load.js';
import { senderNoticeFacts } from '../src/notify/facts.js';
import { composeMail, submissionTransport } from '../src/notify/mailer.js';
import { noticeModel } from '../src/notify/notice-model.js';
import { MailOutbox } from '../src/notify/outbox.js';
import { NoticeTemplates, readTemplateSources } from '../src/notify/templates.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { engineWithRoster } from '../test/support/roster.js';
import { SmtpSink } from '../test/support/smtp-sink.js';

const NOTICES = Number(process.env['BENCH_NOTICES'] ?? 2000);
const STAFF = 's.jones@example-trust.org.uk';

it('guidance email cost', async () => {
  const engine = engineWithRoster();
  const raw = await new MailComposer({
    from: STAFF,
    to: 'helper.volunteer@gmail.com',
    subject: 'Jane Smith - EHCP review',
    text: 'Notes attached.',
    attachments: [{ filename: 'list.csv', content: 'Forename,Surname,UPN\nJane,Smith,H801200001001\nGrace,Hall,B801200005001\nThomas,Smith,T330400525017\n' }],
  })
    .compile()
    .build();
  const message = await engine.parse(raw);
  const verdict = engine.inspectParsed(message, { mailFrom: STAFF, rcptTo: ['helper.volunteer@gmail.com'] }, 'DLP-BENCH-00001', performance.now());
  const facts = senderNoticeFacts(message, verdict.findings, STAFF);
  const templates = new NoticeTemplates(readTemplateSources(join(SHIPPED_RULES_DIR, 'notifications')).sources);
  const render = () =>
    templates.render(
      noticeModel({
        outcome: 'reject',
        reference: verdict.reference,
        organisation: { name: 'Riverside Academy Trust', dpoContact: 'dpo@example-trust.org.uk' },
        sender: STAFF,
        recipients: ['helper.volunteer@gmail.com'],
        receivedAt: new Date(),
        rules: verdict.rules,
        findings: verdict.findings,
        classified: verdict.recipients,
        facts,
      }),
    );
  const mail = () => {
    const r = render();
    return { to: [STAFF], subject: r.subject, text: r.text, html: r.html, autoSubmitted: 'auto-replied' as const, nullReturnPath: true, label: 'bench notice' };
  };

  const sink = await new SmtpSink().start();
  const transport = submissionTransport({ host: '127.0.0.1', port: sink.port, secure: false, heloName: 'relay.example-trust.org.uk' });
  const dir = mkdtempSync(join(tmpdir(), 'dlp-bench-outbox-'));
  const outboxOptions = {
    from: () => 'Email data protection <dlp@example-trust.org.uk>',
    transport: () => transport,
    retry: () => ({ firstDelayMs: 1000, maxDelayMs: 1000, giveUpAfterMs: 60_000 }),
    log: { info: () => undefined, warn: () => undefined, crit: () => undefined },
  };
  // Writing only: a closed outbox spools what it is given and sends nothing, so delivery is measured on its own below.
  const spoolOnly = new MailOutbox(dir, outboxOptions);
  await spoolOnly.close();

  const steps = {
    'render (model + templates)': async () => void render(),
    'render + compose MIME': async () => void (await composeMail(mail(), 'dlp@example-trust.org.uk')),
    'render + compose + write to outbox': async () => spoolOnly.send(mail()),
  };
  const rows = [];
  for (const [step, run] of Object.entries(steps)) {
    for (let i = 0; i < 50; i++) await run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < NOTICES; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    rows.push({ step, perSecond: Math.round(1000 / (times.reduce((a, b) => a + b, 0) / times.length)), medianMs: round(times[times.length >> 1]!), p99Ms: round(times[Math.floor(times.length * 0.99)]!) });
  }
  // Everything written above now leaves by SMTP, through one pooled connection, as the relay sends it.
  const outbox = new MailOutbox(dir, outboxOptions);
  const waiting = await outbox.pending();
  const started = performance.now();
  outbox.start();
  await sink.waitFor(waiting, 600_000);
  const delivered = { emails: waiting, perSecond: Math.round(waiting / ((performance.now() - started) / 1000)) };
  await outbox.close();
  transport.close?.();
  await sink.stop();

  console.table(rows);
  console.table([{ 'outbox to SMTP': `${delivered.emails} emails`, 'per second': delivered.perSecond }]);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/notices.json'), `${JSON.stringify({ steps: rows, delivery: delivered, node: process.version }, null, 2)}\n`);
});

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
