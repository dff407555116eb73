/**
 * The guidance emails' wording: Handlebars templates, shipped in rules/notifications/ and
 * replaceable file by file from the trust's own directory (notifications.templates). Each
 * outcome has a subject, a text and an HTML template; partials/ holds the shared pieces.
 * HTML templates escape everything they insert, and may not opt out: a message's subject,
 * filenames and addresses are the sender's (or an attacker's) text.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { oneLine } from '../text/one-line.js';
import { NOTICE_OUTCOMES, type NoticeModel, type NoticeOutcome } from './notice-model.js';

export const TEMPLATE_FORMATS = ['subject', 'text', 'html'] as const;
type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

/** Template sources by file name relative to the templates directory (`hold.text.hbs`, `partials/rules.html.hbs`). */
export type TemplateSources = Record<string, string>;

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** The shipped templates, with every file the trust's directory has in their place. Unknown file names are refused (a typo would silently change nothing). */
export function readTemplateSources(shippedDir: string, trustDir?: string): { sources: TemplateSources; overridden: string[] } {
  const sources = readTree(shippedDir);
  if (!trustDir) return { sources, overridden: [] };
  if (!existsSync(trustDir) || !statSync(trustDir).isDirectory()) throw new TemplateError(`${trustDir} is not a directory of templates`);
  const overrides = readTree(trustDir);
  const unknown = Object.keys(overrides).filter((name) => !(name in sources));
  if (unknown.length > 0) {
    throw new TemplateError(`${unknown.map((n) => join(trustDir, n)).join(', ')}: no such template (templates are: ${Object.keys(sources).sort().join(', ')})`);
  }
  return { sources: { ...sources, ...overrides }, overridden: Object.keys(overrides).sort() };
}

function readTree(dir: string, root = dir): TemplateSources {
  const out: TemplateSources = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, readTree(path, root));
    else if (entry.name.endsWith('.hbs')) out[relative(root, path).split('\\').join('/')] = readFileSync(path, 'utf8');
    // A misspelt name (reject.text.hb) would silently change nothing: refused like an unknown template.
    else if (!entry.name.startsWith('.')) out[relative(root, path).split('\\').join('/')] = '';
  }
  return out;
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
