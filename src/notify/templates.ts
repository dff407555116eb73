/**
 * The guidance emails' wording: Handlebars templates, shipped in rules/notifications/ and
 * replaceable file by file from the trust's own directory (notifications.templates). Each
 * outcome has a subject, a text and an HTML template; partials/ holds the shared pieces.
 * HTML templates escape everything they insert, and may not opt out: a message's subject,
 * filenames and addresses are the sender's (or an attacker's) text.
 */
import Handlebars from 'handlebars';
import { ConfigError } from '../config/errors.js';
import type { DlpConfig } from '../config/load.js';
import { readTemplateSources, TemplateError } from '../config/notice-templates.js';
import type { TemplateSources } from '../config/settings.js';
import { oneLine } from '../text/one-line.js';
import { NOTICE_OUTCOMES, type NoticeModel } from './notice-model.js';
import { SAMPLE_NOTICE } from './sample-notice.js';

export { readTemplateSources, TemplateError, type TemplateSources };

export const TEMPLATE_FORMATS = ['subject', 'text', 'html'] as const;
type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];


export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

type Render = (model: object) => string;

/** Compiled templates for every outcome. Compiling is strict about the shape of the files; rendering never throws on data. */
export class NoticeTemplates {
  private readonly compiled = new Map<string, Render>();

  constructor(sources: TemplateSources) {
    const text = environment();
    const html = environment();
    for (const [name, source] of Object.entries(sources)) {
      const match = /^partials\/([a-z0-9-]+)\.(text|html)\.hbs$/.exec(name);
      if (!match) continue;
      const [, partial, format] = match;
      if (format === 'html') refuseUnescaped(name, source);
      const env = format === 'html' ? html : text;
      env.registerPartial(partial!, compile(env, name, source, format === 'html'));
    }
    for (const outcome of NOTICE_OUTCOMES) {
      for (const format of TEMPLATE_FORMATS) {
        const name = `${outcome}.${format}.hbs`;
        const source = sources[name];
        if (source === undefined) throw new TemplateError(`template ${name} is missing`);
        if (format === 'html') refuseUnescaped(name, source);
        this.compiled.set(name, compile(format === 'html' ? html : text, name, source, format === 'html'));
      }
    }
  }

  render(model: NoticeModel): RenderedNotice {
    const render = (format: TemplateFormat): string => this.compiled.get(`${model.outcome}.${format}.hbs`)!(model);
    return {
      subject: oneLine(render('subject')),
      text: tidyText(render('text')),
      html: render('html'),
    };
  }

  /** Renders every outcome with `model`, so a template that fails on real data is found when the configuration loads, not when mail is waiting. */
  check(model: Omit<NoticeModel, 'outcome'>): void {
    for (const outcome of NOTICE_OUTCOMES) {
      try {
        this.render({ ...model, outcome } as NoticeModel);
      } catch (error) {
        throw new TemplateError(`the ${outcome} templates do not render: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

function environment(): typeof Handlebars {
  const env = Handlebars.create();
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return env;
}

function compile(env: typeof Handlebars, name: string, source: string, escape: boolean): Render {
  try {
    // Compile now, so that a syntax error names its file when the configuration loads.
    env.precompile(source);
    // Prototype access stays off (Handlebars' default): templates read the model's own fields only.
    return env.compile(source, { noEscape: !escape, strict: false, preventIndent: false });
  } catch (error) {
    throw new TemplateError(`${name}: ${error instanceof Error ? error.message.split('\n').slice(0, 4).join(' ') : String(error)}`);
  }
}

/** `{{{x}}}` and `{{&x}}` insert text unescaped: never in an HTML template. */
function refuseUnescaped(name: string, source: string): void {
  if (/\{\{~?\s*[{&]/.test(source)) {
    throw new TemplateError(`${name}: HTML templates must not use {{{ }}} or {{& }}: everything inserted into an HTML email is escaped`);
  }
}

/**
 * Plain-text email as people read it: no runs of blank lines, no trailing spaces. Lines are
 * not wrapped: mail programs wrap to the screen, and hard-wrapped text reads raggedly on a phone.
 */
export function tidyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd());
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/**
 * Compiles the configured templates and renders each outcome once with a sample notice, so
 * that a template that cannot work stops the relay at start-up (or keeps the previous
 * configuration on a reload), naming the file, rather than failing on a real message.
 */
export function checkNoticeTemplates(config: DlpConfig): void {
  if (!config.notifications) return;
  try {
    new NoticeTemplates(config.notifications.templates).check(SAMPLE_NOTICE);
  } catch (error) {
    const line = config.lineOf(['notifications', 'templates']);
    const problem = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ file: config.configFile, key: 'notifications.templates', problem, ...(line ? { line } : {}) }], { cause: error });
  }
}
