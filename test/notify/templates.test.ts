import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, SHIPPED_RULES_DIR } from '../../src/config/load.js';
import { loadRelayConfig } from '../../src/relay/relay-config.js';
import type { InspectionEngine } from '../../src/engine/inspect.js';
import type { Finding, RuleFired } from '../../src/engine/types.js';
import { senderNoticeFacts, type SenderNoticeFacts } from '../../src/notify/facts.js';
import { NOTICE_OUTCOMES, noticeModel, type NoticeInput, type NoticeModel, type NoticeOutcome } from '../../src/notify/notice-model.js';
import { SAMPLE_NOTICE } from '../../src/notify/sample-notice.js';
import { NoticeTemplates, readTemplateSources, TemplateError, tidyText, type TemplateSources } from '../../src/notify/templates.js';
import { messageWith } from '../support/attachment-fixtures.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';
import { REPO_ROOT } from '../support/paths.js';
import { engineWithRoster, STAFF, textMessage } from '../support/roster.js';

const SHIPPED_DIR = join(REPO_ROOT, 'rules/notifications');
const shipped = readTemplateSources(SHIPPED_DIR);
const templates = new NoticeTemplates(shipped.sources);
const engine = engineWithRoster();

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const HOSTILE = `${SCRIPT} ${IMG} & co`;
const HOSTILE_RECIPIENT = `"${SCRIPT}"@gmail.com`;
const AMPERSAND_RECIPIENT = 'tom&jerry@gmail.com';
const HOSTILE_FILE = `${IMG} & ${SCRIPT}.txt`;
const ORGANISATION = { name: 'Riverside & Hill Academy Trust', dpoContact: 'dpo@example-trust.org.uk', policyUrl: 'https://example-trust.org.uk/policies/ict' };
const RECEIVED = new Date('2026-11-23T09:12:00Z');

/** A message inspected as the relay does it, and the notice model for it. */
async function modelFor(
  raw: Buffer,
  rcptTo: string[],
  outcome: NoticeOutcome,
  extra: Partial<NoticeInput> = {},
  withEngine: InspectionEngine = engine,
): Promise<{ model: NoticeModel; facts: SenderNoticeFacts; rules: RuleFired[]; findings: Finding[] }> {
  const message = await withEngine.parse(raw);
  const verdict = withEngine.inspectParsed(message, { mailFrom: STAFF, rcptTo }, 'DLP-7KQ2M-9XD4T', performance.now());
  const facts = senderNoticeFacts(message, verdict.findings, STAFF);
  const model = noticeModel({
    outcome,
    reference: verdict.reference,
    organisation: ORGANISATION,
    sender: STAFF,
    recipients: rcptTo,
    receivedAt: RECEIVED,
    rules: verdict.rules,
    findings: verdict.findings,
    classified: verdict.recipients,
    facts,
    reviewWithinHours: 24,
    ...extra,
  });
  return { model, facts, rules: verdict.rules, findings: verdict.findings };
}

function trustDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-templates-'));
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), source);
  }
  return dir;
}

function templateErrorOf(action: () => unknown): TemplateError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('no TemplateError was thrown');
}

const count = (text: string, part: string): number => text.split(part).length - 1;
/** The text part with its wrapping undone, so that a long line can be searched whole. */
const unwrapped = (text: string): string => text.replace(/\n */g, ' ');

describe('escaping: the sender controls the subject, file names and addresses', () => {
  const hostileModel = async (outcome: NoticeOutcome): Promise<NoticeModel> =>
    (
      await modelFor(
        await messageWith(HOSTILE_RECIPIENT, [{ name: HOSTILE_FILE, content: Buffer.from('Jane Smith has asthma.\n') }], 'Hello', `Jane Smith ${HOSTILE}`),
        [HOSTILE_RECIPIENT, AMPERSAND_RECIPIENT],
        outcome,
        { dpoReason: `Not this way ${HOSTILE}` },
      )
    ).model;

  it('the hostile input reaches the model (so the rendering tests below test something)', async () => {
    const model = await hostileModel('reject');
    expect(model.subject).toBe(`J*** S**** ${HOSTILE}`);
    expect(model.recipients).toEqual([HOSTILE_RECIPIENT, AMPERSAND_RECIPIENT]);
    expect(model.rules.find((r) => r.id === 'unencrypted-sensitive-attachment')?.attachments).toEqual([HOSTILE_FILE]);
    expect(model.rules.find((r) => r.id === 'pupil-name-in-subject')?.suggestedSubject).toBe(`J.S. ${HOSTILE}`);
    expect(model.found.map((f) => f.where)).toContain(`attachment ${HOSTILE_FILE}`);
    expect(model.dpoReason).toBe(`Not this way ${HOSTILE}`);
  });

  it.each(NOTICE_OUTCOMES)('%s: the HTML part escapes all of it', async (outcome) => {
    const { html } = templates.render(await hostileModel(outcome));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/onerror\s*=/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src');
    // Every & is the start of an entity: none is left bare.
    expect(html).not.toMatch(/&(?!(?:[a-zA-Z]+|#x[0-9a-fA-F]+|#\d+);)/);
    expect(html).toContain('&amp; co');
    expect(html).toContain('&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;@gmail.com');
    expect(html).toContain('tom&amp;jerry@gmail.com');
    expect(html).toContain('Riverside &amp; Hill Academy Trust');
  });

  it.each(['warn', 'hold', 'reject', 'rejected'] as const)('%s: an attachment name is escaped in the HTML part', async (outcome) => {
    const { html } = templates.render(await hostileModel(outcome));
    expect(html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;.txt');
  });

  it("rejected: the DPO's reason is escaped in the HTML part and shown as written in the text part", async () => {
    const notice = templates.render(await hostileModel('rejected'));
    expect(notice.html).toContain('<strong>Their reason:</strong> Not this way &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img');
    expect(unwrapped(notice.text)).toContain(`Their reason: Not this way ${HOSTILE}`);
  });

  it.each(NOTICE_OUTCOMES)('%s: the text part and the subject show it literally, unescaped', async (outcome) => {
    const notice = templates.render(await hostileModel(outcome));
    const text = unwrapped(notice.text);
    expect(text).toContain(`"J*** S**** ${HOSTILE}"`);
    expect(text).toContain(`${HOSTILE_RECIPIENT}, ${AMPERSAND_RECIPIENT}`);
    expect(text).toContain('Riverside & Hill Academy Trust');
    expect(notice.text).not.toMatch(/&(?:amp|lt|gt|quot|#x27|#x3D);/);
    expect(notice.subject).toContain(`J*** S**** ${HOSTILE}`);
  });

  it.each(NOTICE_OUTCOMES)('%s: the notice subject stays on one line whatever the model holds', (outcome) => {
    const notice = templates.render({ ...SAMPLE_NOTICE, outcome, subject: 'Trip\r\nBcc: everyone@example.com\r\n\r\nbody\u0000' });
    expect(notice.subject).not.toMatch(/[\r\n\u0000]/);
    expect(notice.subject).toContain('Trip Bcc: everyone@example.com body');
  });
});

describe("the trust's template directory", () => {
  const customReject = 'TRUST WORDING for {{reference}}: "{{subject}}"\n';

  it('replaces just the files it has; every other template stays shipped', () => {
    const dir = trustDir({ 'reject.text.hbs': customReject });
    const { sources, overridden } = readTemplateSources(SHIPPED_DIR, dir);
    expect(overridden).toEqual(['reject.text.hbs']);
    expect(sources['reject.text.hbs']).toBe(customReject);
    expect(Object.keys(sources).sort()).toEqual(Object.keys(shipped.sources).sort());
    for (const name of Object.keys(shipped.sources).filter((n) => n !== 'reject.text.hbs')) expect(sources[name], name).toBe(shipped.sources[name]);

    const trust = new NoticeTemplates(sources);
    const reject = trust.render({ ...SAMPLE_NOTICE, outcome: 'reject' });
    expect(reject.text).toBe(`TRUST WORDING for ${SAMPLE_NOTICE.reference}: "${SAMPLE_NOTICE.subject}"\n`);
    // The reject subject and HTML, and every other outcome, are the shipped ones.
    const shippedReject = templates.render({ ...SAMPLE_NOTICE, outcome: 'reject' });
    expect(reject.subject).toBe(shippedReject.subject);
    expect(reject.html).toBe(shippedReject.html);
    for (const outcome of NOTICE_OUTCOMES.filter((o) => o !== 'reject')) {
      expect(trust.render({ ...SAMPLE_NOTICE, outcome })).toEqual(templates.render({ ...SAMPLE_NOTICE, outcome }));
    }
  });

  it('replaces a shared partial everywhere it is used', () => {
    const dir = trustDir({ 'partials/footer.text.hbs': '-- \nAsk {{organisation.dpoContact}} at the Trust.\n' });
    const { sources, overridden } = readTemplateSources(SHIPPED_DIR, dir);
    expect(overridden).toEqual(['partials/footer.text.hbs']);
    const trust = new NoticeTemplates(sources);
    for (const outcome of NOTICE_OUTCOMES) {
      const { text } = trust.render({ ...SAMPLE_NOTICE, outcome });
      expect(text, outcome).toContain('Ask dpo@example-trust.org.uk at the Trust.');
      expect(text, outcome).not.toContain('this email was sent automatically');
    }
  });

  it("escapes what a trust's own HTML template inserts", () => {
    const dir = trustDir({ 'reject.html.hbs': '<p>Not sent: {{subject}} to {{#each recipients}}{{this}}{{/each}}</p>\n' });
    const trust = new NoticeTemplates(readTemplateSources(SHIPPED_DIR, dir).sources);
    const { html } = trust.render({ ...SAMPLE_NOTICE, outcome: 'reject', subject: SCRIPT, recipients: [HOSTILE_RECIPIENT] });
    expect(html).toBe('<p>Not sent: &lt;script&gt;alert(1)&lt;/script&gt; to &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;@gmail.com</p>\n');
  });

  it('an empty trust directory changes nothing', () => {
    const { sources, overridden } = readTemplateSources(SHIPPED_DIR, trustDir({}));
    expect(overridden).toEqual([]);
    expect(sources).toEqual(shipped.sources);
  });

  it.each([
    ['reject.txt.hbs', 'a misspelt format'],
    ['rejcet.text.hbs', 'a misspelt outcome'],
    ['partials/header.html.hbs', 'a partial that does not exist'],
    ['footer.text.hbs', 'a partial outside partials/'],
  ])('refuses an unknown file name, naming it: %s (%s)', (name) => {
    const dir = trustDir({ 'reject.text.hbs': customReject, [name]: 'hello\n' });
    const error = templateErrorOf(() => readTemplateSources(SHIPPED_DIR, dir));
    expect(error.message).toContain(join(dir, name));
    expect(error.message).toContain('no such template');
    expect(error.message).not.toContain(join(dir, 'reject.text.hbs,'));
  });

  it('refuses a directory that does not exist', () => {
    const missing = join(tmpdir(), 'dlp-templates-that-do-not-exist', 'notifications');
    expect(templateErrorOf(() => readTemplateSources(SHIPPED_DIR, missing)).message).toContain(missing);
  });
});

describe('compiling templates', () => {
  const withFile = (name: string, source: string): TemplateSources => ({ ...shipped.sources, [name]: source });

  it.each([
    ['reject.html.hbs', '<p>{{{subject}}}</p>'],
    ['reject.html.hbs', '<p>{{& subject}}</p>'],
    ['warn.html.hbs', '<p>{{&subject}}</p>'],
    ['hold.html.hbs', '<p>{{~& subject}}</p>'],
    ['partials/message.html.hbs', '<td>{{{subject}}}</td>'],
    ['partials/rules.html.hbs', '{{#each rules}}<p>{{{reason}}}</p>{{/each}}'],
  ])('refuses an HTML template (%s) that inserts without escaping: %s', (name, source) => {
    const error = templateErrorOf(() => new NoticeTemplates(withFile(name, source)));
    expect(error.message.startsWith(`${name}:`)).toBe(true);
    expect(error.message).toMatch(/escaped/);
  });

  it('refuses the same through the trust directory', () => {
    const dir = trustDir({ 'rejected.html.hbs': '<p>{{{dpoReason}}}</p>\n' });
    const { sources } = readTemplateSources(SHIPPED_DIR, dir);
    expect(templateErrorOf(() => new NoticeTemplates(sources)).message).toMatch(/^rejected\.html\.hbs:/);
  });

  it.each([
    ['reject.html.hbs', '{{#if subject}}<p>{{subject}}</p>'],
    ['warn.text.hbs', 'Hello {{subject}'],
    ['hold.subject.hbs', '{{#each rules}}{{/if}}'],
    ['partials/rules.text.hbs', '{{#each rules}}\nWhy: {{reason}}\n'],
    ['partials/layout.html.hbs', '<html>{{> @partial-block}</html>'],
  ])('refuses a syntax error, naming the file: %s', (name, source) => {
    const error = templateErrorOf(() => new NoticeTemplates(withFile(name, source)));
    expect(error.message.startsWith(`${name}:`)).toBe(true);
  });

  it('refuses a set with a template missing', () => {
    const sources = { ...shipped.sources };
    delete sources['warn.subject.hbs'];
    expect(templateErrorOf(() => new NoticeTemplates(sources)).message).toContain('warn.subject.hbs');
  });

  it('check() finds a template that compiles but fails on real data, naming the outcome', () => {
    const trust = new NoticeTemplates(withFile('hold.text.hbs', 'Held: {{shout subject}}\n'));
    expect(templateErrorOf(() => trust.check(SAMPLE_NOTICE)).message).toMatch(/the hold templates do not render/);
  });

  it('check() passes the shipped templates', () => {
    expect(() => templates.check(SAMPLE_NOTICE)).not.toThrow();
  });

  it('templates read only the model: no prototype properties', () => {
    const trust = new NoticeTemplates(withFile('warn.text.hbs', '[{{subject.constructor}}][{{__proto__}}][{{reference.length}}]\n'));
    const { text } = trust.render({ ...SAMPLE_NOTICE, outcome: 'warn' });
    expect(text).not.toMatch(/function|\[object/);
  });
});

describe('noticeModel: one email per message', () => {
  it('lists a rule once however many times it fired, most severe first', async () => {
    const { rules, findings } = await modelFor(
      await messageWith('someone@gmail.com', [{ name: 'minutes.txt', content: Buffer.from('Jane Smith has asthma.\n') }], 'Hello', 'Jane Smith - minutes'),
      ['someone@gmail.com'],
      'reject',
    );
    const byId = (id: string): RuleFired => rules.find((r) => r.id === id)!;
    const input: NoticeInput = {
      outcome: 'reject',
      reference: 'DLP-7KQ2M-9XD4T',
      organisation: ORGANISATION,
      sender: STAFF,
      recipients: ['someone@gmail.com'],
      receivedAt: RECEIVED,
      // Deliberately out of order and repeated.
      rules: [byId('pupil-name-in-subject'), byId('personal-data-to-personal-address'), byId('unencrypted-sensitive-attachment'), byId('pupil-name-in-subject'), byId('unencrypted-sensitive-attachment')],
      findings,
      classified: [],
      facts: { subject: 'J*** S**** - minutes', suggestedSubject: 'J.S. - minutes', attachmentNames: { 'attachment:minutes.txt': 'minutes.txt' } },
    };
    const model = noticeModel(input);
    expect(model.rules.map((r) => [r.id, r.action])).toEqual([
      ['unencrypted-sensitive-attachment', 'reject'],
      ['personal-data-to-personal-address', 'hold'],
      ['pupil-name-in-subject', 'warn'],
    ]);
    const { text, html } = templates.render(model);
    for (const rule of model.rules) {
      expect(count(unwrapped(text), `Why: ${rule.reason}`), rule.id).toBe(1);
      expect(count(html, `font-weight:bold;">${rule.reason.replace(/'/g, '&#x27;')}</p>`), rule.id).toBe(1);
    }
  });

  it('gives each rule only its own details: the suggested subject, the attachments, the recipients', async () => {
    const { model } = await modelFor(
      await messageWith('someone@gmail.com', [{ name: 'minutes.txt', content: Buffer.from('Jane Smith has asthma.\n') }, { name: 'menu.txt', content: Buffer.from('Fish on Friday.\n') }], 'Hello', 'Jane Smith - minutes'),
      ['someone@gmail.com'],
      'reject',
    );
    const rule = (id: string) => model.rules.find((r) => r.id === id)!;
    expect(rule('pupil-name-in-subject').suggestedSubject).toBe('J.S. - minutes');
    expect(rule('pupil-name-in-subject').attachments).toEqual([]);
    expect(rule('unencrypted-sensitive-attachment').attachments).toEqual(['minutes.txt']);
    expect(rule('unencrypted-sensitive-attachment')).not.toHaveProperty('suggestedSubject');
    expect(rule('personal-data-to-personal-address').recipients).toEqual([{ address: 'someone@gmail.com', class: 'personal', knownContact: false }]);
  });

  it('gives the same guidance once, with the most severe rule', async () => {
    const same = 'Use initials in subject lines, never a full name.';
    const sameGuidance = engineWithRoster({ extraYaml: `rules:\n  sensitive-subject:\n    guidance: "${same}"\n  pupil-name-in-subject:\n    guidance: "${same}"\n` });
    const { model, rules } = await modelFor(textMessage('Thomas Smith asthma plan', 'See attached.'), ['someone@example.com'], 'reject', {}, sameGuidance);
    expect(rules.map((r) => r.id).sort()).toEqual(['pupil-name-in-subject', 'sensitive-subject']);
    expect(model.rules.map((r) => r.id)).toEqual(['sensitive-subject', 'pupil-name-in-subject']);
    expect(model.rules[0]!.guidance).toBe(same);
    expect(model.rules[1]).not.toHaveProperty('guidance');
    for (const outcome of NOTICE_OUTCOMES.filter((o) => o !== 'released')) {
      const { text, html } = templates.render({ ...model, outcome });
      expect(count(unwrapped(text), same), outcome).toBe(1);
      expect(count(html, same), outcome).toBe(1);
      expect(count(text, 'What to do:'), outcome).toBe(1);
    }
  });

  it('gives different guidance for each rule', async () => {
    const { model } = await modelFor(textMessage('Thomas Smith asthma plan', 'See attached.'), ['someone@example.com'], 'reject');
    expect(model.rules.map((r) => r.id)).toEqual(['sensitive-subject', 'pupil-name-in-subject']);
    expect(model.rules.every((r) => typeof r.guidance === 'string' && r.guidance.length > 0)).toBe(true);
    expect(count(templates.render(model).text, 'What to do:')).toBe(2);
  });
});

describe('noticeModel: what was found', () => {
  it("shows only the category of special-category data, never the words", async () => {
    const { model, findings } = await modelFor(textMessage('Homework', 'Jane Smith has asthma and had a seizure at lunch.'), ['someone@gmail.com'], 'hold');
    expect(findings.map((f) => f.excerpt)).toContain('health: asthma');
    expect(model.found).toEqual([{ where: 'the message', items: ["a pupil's name (J*** S****)", 'sensitive information (health)'] }]);
    for (const outcome of NOTICE_OUTCOMES) {
      const { subject, text, html } = templates.render({ ...model, outcome });
      for (const part of [subject, text, html]) {
        expect(part).not.toMatch(/asthma|seizure/i);
        expect(part).not.toContain('Jane');
      }
    }
  });

  it('shows where each finding was seen, attachments by their (redacted) name', () => {
    const model = noticeModel({
      ...baseInput(),
      findings: [
        { kind: 'special-category', location: 'attachment:Jane Smith EHCP.docx', excerpt: 'sen: EHCP' },
        { kind: 'upn', location: 'subject', excerpt: 'UPN H80…' },
        { kind: 'date-of-birth', location: 'body', excerpt: 'date of birth 0*/0*/2***' },
        { kind: 'forwarded', location: 'headers', excerpt: 'Fwd: prefix' },
      ],
      facts: { subject: 'x', attachmentNames: { 'attachment:Jane Smith EHCP.docx': 'J*** S**** E***.docx' } },
    });
    expect(model.found).toEqual([
      { where: 'attachment J*** S**** E***.docx', items: ['sensitive information (sen)'] },
      { where: 'the subject line', items: ['UPN H80…'] },
      { where: 'the message', items: ['date of birth 0*/0*/2***'] },
      { where: "the message's headers", items: ['a forwarded message: Fwd: prefix'] },
    ]);
  });

  const upnFinding = (i: number, location: 'body' | 'subject' = 'body') => ({ kind: 'upn' as const, location, excerpt: `UPN ${String.fromCharCode(65 + i)}${10 + i}…` });

  it('lists at most 12 findings and counts the rest in moreFound', () => {
    const findings = Array.from({ length: 15 }, (_, i) => upnFinding(i));
    const model = noticeModel({ ...baseInput(), findings });
    expect(model.found).toHaveLength(1);
    expect(model.found[0]!.items).toHaveLength(12);
    expect(model.found[0]!.items[0]).toBe('UPN A10…');
    expect(model.found[0]!.items).not.toContain('UPN M22…');
    expect(model.moreFound).toBe(3);
    for (const outcome of ['warn', 'hold', 'reject'] as const) {
      const { text, html } = templates.render({ ...model, outcome });
      expect(text).toContain('- and 3 more\n');
      expect(html).toContain('<li>and 3 more</li>');
      expect(text).not.toContain('UPN M22…');
    }
  });

  it("counts pupils' names towards the 12, listing the first ones together", () => {
    const findings = Array.from({ length: 14 }, (_, i) => ({ kind: 'pupil-name' as const, location: 'body' as const, excerpt: `${String.fromCharCode(65 + i)}*** S****` }));
    const model = noticeModel({ ...baseInput(), findings });
    const shown = model.found.flatMap((f) => f.items).join(' ');
    expect(shown).toContain('A*** S****');
    expect(shown).toContain('L*** S****');
    expect(shown).not.toContain('M*** S****');
    expect(shown).not.toContain('N*** S****');
    expect(model.moreFound).toBe(2);
  });

  it('counts 12 findings spread over places without a "more" line, and a repeat only once', () => {
    const findings = [
      ...Array.from({ length: 6 }, (_, i) => upnFinding(i, 'body')),
      ...Array.from({ length: 6 }, (_, i) => upnFinding(i + 6, 'subject')),
      upnFinding(0, 'body'),
      upnFinding(6, 'subject'),
    ];
    const model = noticeModel({ ...baseInput(), findings });
    expect(model.found.map((f) => [f.where, f.items.length])).toEqual([
      ['the message', 6],
      ['the subject line', 6],
    ]);
    expect(model.moreFound).toBe(0);
    const { text, html } = templates.render({ ...model, outcome: 'reject' });
    expect(text).not.toMatch(/and \d+ more/);
    expect(html).not.toMatch(/and \d+ more/);
  });

  it("passes the detector's own summary line through as it is", () => {
    const model = noticeModel({ ...baseInput(), findings: [{ kind: 'special-category', location: 'body', excerpt: 'and 12 more special-category terms like these' }] });
    expect(model.found).toEqual([{ where: 'the message', items: ['and 12 more special-category terms like these'] }]);
  });

  it('says "(no subject)" for an empty subject and gives the time in UK time', () => {
    const summer = noticeModel({ ...baseInput(), receivedAt: new Date('2026-07-01T08:05:00Z'), facts: { subject: '', attachmentNames: {} } });
    expect(summer.subject).toBe('(no subject)');
    expect(summer.sentAt).toBe('1 Jul 2026, 09:05');
    expect(noticeModel(baseInput()).sentAt).toBe('23 Nov 2026, 09:12');
  });
});

function baseInput(): NoticeInput {
  return {
    outcome: 'reject',
    reference: 'DLP-7KQ2M-9XD4T',
    organisation: ORGANISATION,
    sender: STAFF,
    recipients: ['someone@gmail.com'],
    receivedAt: RECEIVED,
    rules: [],
    findings: [],
    classified: [],
    facts: { subject: 'Homework', attachmentNames: {} },
  };
}

describe('tidyText', () => {
  const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

  // Lines are deliberately not hard-wrapped (mail programs wrap to the screen; see tidyText's comment).
  it('keeps a long line, a long "- " item and a long URL whole, on one line each', () => {
    const line = words(40);
    const item = `- ${words(30)}`;
    const url = `https://example-trust.org.uk/${'x'.repeat(90)}`;
    expect(tidyText(`${line}\n${item}\nSee ${url} now`)).toBe(`${line}\n${item}\nSee ${url} now\n`);
  });

  it('keeps indentation inside the text', () => {
    expect(tidyText('Intro\n    indented\n- item\n  continued')).toBe('Intro\n    indented\n- item\n  continued\n');
  });

  it('collapses runs of blank lines to one, counting lines of spaces as blank', () => {
    expect(tidyText('a\n\n\n\n\nb')).toBe('a\n\nb\n');
    expect(tidyText('a\n\n\nb')).toBe('a\n\nb\n');
    expect(tidyText('a\n   \n \t\n\nb')).toBe('a\n\nb\n');
    expect(tidyText('a\n\nb')).toBe('a\n\nb\n');
    expect(tidyText('a\nb')).toBe('a\nb\n');
  });

  it('removes trailing spaces, leading and trailing blank lines, and CR, and ends with one newline', () => {
    expect(tidyText('\n\nfirst   \r\nsecond\t\r\n\r\n\r\nthird\rfourth\n\n')).toBe('first\nsecond\n\nthird\nfourth\n');
  });

  it('gives every shipped plain-text notice no runs of blank lines, no trailing spaces and one final newline', async () => {
    const { model } = await modelFor(
      await messageWith('someone@gmail.com', [{ name: 'minutes.txt', content: Buffer.from('Jane Smith has asthma.\n') }], 'Hello', 'Jane Smith - minutes of the meeting about the trip'),
      ['someone@gmail.com'],
      'reject',
    );
    for (const outcome of NOTICE_OUTCOMES) {
      const { text } = templates.render({ ...model, outcome });
      expect(text, outcome).not.toMatch(/\n\n\n/);
      expect(text, outcome).not.toMatch(/[ \t]\n/);
      expect(text, outcome).not.toMatch(/\r/);
      expect(text.endsWith('\n') && !text.endsWith('\n\n'), outcome).toBe(true);
      expect(text.startsWith('Your '), outcome).toBe(true);
    }
  });
});

describe('loadRelayConfig with notifications.templates', () => {
  const yamlWithTemplates = (templatesDir: string): string =>
    `${BASE_DLP_YAML}notifications:\n  from: dlp@example-trust.org.uk\n  templates: ${templatesDir}\n`;

  function configErrorOf(dir: string): ConfigError {
    try {
      loadRelayConfig(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('configuration was accepted');
  }

  /** A config directory with the trust's templates in `templates/` beside dlp.yaml. */
  function configWithTemplates(files: Record<string, string>): string {
    const dir = configDirWith(yamlWithTemplates('templates'));
    for (const [name, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'templates', name)), { recursive: true });
      writeFileSync(join(dir, 'templates', name), source);
    }
    mkdirSync(join(dir, 'templates'), { recursive: true });
    return dir;
  }

  it('loads a good override and says which files it replaces', () => {
    const custom = 'Not sent ({{reference}}). Ask the office.\n';
    const config = loadConfig(configWithTemplates({ 'reject.text.hbs': custom }));
    expect(config.notifications?.overriddenTemplates).toEqual(['reject.text.hbs']);
    expect(config.notifications?.templates['reject.text.hbs']).toBe(custom);
    expect(config.notifications?.templates['warn.text.hbs']).toBe(shipped.sources['warn.text.hbs']);
  });

  it('loads the shipped templates when no directory is given', () => {
    const config = loadConfig(configDirWith(`${BASE_DLP_YAML}notifications:\n  from: dlp@example-trust.org.uk\n`));
    expect(config.notifications?.overriddenTemplates).toEqual([]);
    expect(config.notifications?.templates).toEqual(shipped.sources);
  });

  it.each([
    ['an HTML template inserting unescaped', { 'reject.html.hbs': '<p>{{{subject}}}</p>\n' }, /reject\.html\.hbs/],
    ['a syntax error', { 'partials/found.text.hbs': '{{#if found}}\nfound\n' }, /partials\/found\.text\.hbs/],
    ['an unknown file', { 'reject.txt.hbs': 'x\n' }, /reject\.txt\.hbs/],
    ['a template that fails on real data', { 'hold.subject.hbs': '{{shout subject}}\n' }, /hold templates do not render/],
  ])('refuses %s, at notifications.templates', (_what, files, detail) => {
    const error = configErrorOf(configWithTemplates(files));
    expect(error.message).toContain('notifications.templates');
    expect(error.message).toMatch(detail);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ key: 'notifications.templates', line: 7 });
    expect(error.problems[0]!.file).toMatch(/dlp\.yaml$/);
  });

  it('refuses a templates directory that does not exist', () => {
    const error = configErrorOf(configDirWith(yamlWithTemplates('no-such-dir')));
    expect(error.message).toContain('notifications.templates');
    expect(error.message).toContain('no-such-dir');
  });
});

describe('templates: regressions found in review', () => {
  it.each(['<p>{{~{subject}~}}</p>', '<p>{{~{subject}}}</p>', '<p>{{~ &subject}}</p>'])('refuses the whitespace-control form of unescaped output %j', (source) => {
    const { sources } = readTemplateSources(join(SHIPPED_RULES_DIR, 'notifications'));
    expect(() => new NoticeTemplates({ ...sources, 'reject.html.hbs': source })).toThrow(TemplateError);
  });

  it('refuses a misspelt template file name in the trust directory instead of ignoring it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlp-templates-'));
    writeFileSync(join(dir, 'reject.text.hb'), 'x');
    expect(() => readTemplateSources(join(SHIPPED_RULES_DIR, 'notifications'), dir)).toThrow(/reject\.text\.hb: no such template|reject\.text\.hb.*no such template/);
  });
});

describe('findings: what an unscannable attachment shows', () => {
  it('gives the reason only, never the walker\'s description (it can name a file inside an archive)', () => {
    const model = noticeModel({
      outcome: 'hold',
      reference: 'DLP-AAAAA-BBBBB',
      organisation: { name: 'Riverside Academy Trust' },
      sender: STAFF,
      recipients: ['someone@gmail.com'],
      receivedAt: new Date('2026-11-23T09:12:00Z'),
      rules: [],
      findings: [{ kind: 'unscannable-attachment', location: 'attachment:class.zip', excerpt: 'Grace Hall plan.txt expands 900 times (limit 100): a zip bomb', evidence: 'over-limit' }],
      classified: [],
      facts: { subject: 'Plans', attachmentNames: { 'attachment:class.zip': 'class.zip' } },
    });
    expect(model.found).toEqual([{ where: 'attachment class.zip', items: ['a file that could not be checked (it is over a size, nesting or compression limit)'] }]);
  });
});
