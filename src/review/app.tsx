/**
 * The DPO's review queue: server-rendered pages (Hono, JSX escapes everything), no scripts.
 * Every request but sign-in needs a reviewer; every POST needs the session's CSRF token;
 * deciding and downloading need the `dpo` role; every view, download and decision is audited.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { stringify } from 'csv-stringify/sync';
import type { ReviewSettings } from '../config/quarantine.js';
import { ReviewDecisions, type DecisionEvents, type DecisionResult, type Delivery } from '../quarantine/decisions.js';
import { QUEUE_STATUSES, type QuarantineStore, type QueueStatus } from '../quarantine/types.js';
import { clientAddress, passesCsrf, type ReviewEnv } from './auth.js';
import { AuditPage } from './pages/audit.js';
import { REVIEW_CSS } from './pages/layout.js';
import { MessagePage } from './pages/message.js';
import { QueuePage } from './pages/queue.js';
import { registerSignIn, signedInReviewer } from './sign-in.js';

export interface ReviewAppOptions {
  store: () => Promise<QuarantineStore>;
  delivery: Delivery;
  settings: ReviewSettings;
  organisation: string;
  overdueAfterMs: number;
  /** The rule ids, for the queue's filter. */
  rules: string[];
  events?: DecisionEvents;
  now?: () => Date;
}

const PAGE_SIZE = 50;
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own forms.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function createReviewApp(options: ReviewAppOptions): Hono<ReviewEnv> {
  const { settings, organisation } = options;
  const now = options.now ?? (() => new Date());
  const app = new Hono<ReviewEnv>();

  // Forms here are small; a huge body must not fill the memory of the relay this runs in.
  app.use('*', bodyLimit({ maxSize: 256 * 1024, onError: (c) => c.text('Request too large.', 413) }));
  app.use('*', async (c, next) => {
    c.set('ip', clientAddress(c, settings));
    try {
      c.set('store', await options.store());
    } catch {
      return c.text('The review queue cannot reach its database just now. Try again in a minute; held mail is safe.', 503, SECURITY_HEADERS);
    }
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });

  app.get('/review.css', (c) => c.body(REVIEW_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  registerSignIn(app, settings, organisation, now);

  // Everything below needs a reviewer; a POST also needs the CSRF token from that reviewer's session.
  app.use('*', async (c, next) => {
    const session = await signedInReviewer(c, settings);
    if (!session) {
      if (c.req.method !== 'GET') return c.text('Sign in first.', 401);
      return c.redirect(`/sign-in?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search ?? ''))}`, 303);
    }
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody({ all: true });
      if (!passesCsrf(c, session.csrfToken, typeof form['csrf'] === 'string' ? form['csrf'] : undefined, settings.publicUrl)) {
        return c.text('This form has expired or did not come from the review queue. Go back, reload the page and try again.', 403);
      }
    }
    await next();
  });

  const dpoOnly = (c: Context<ReviewEnv>): Response | undefined =>
    c.get('session').role === 'dpo' ? undefined : c.text('Only a DPO reviewer can do this; your account can view the queue.', 403);
  const actor = (c: Context<ReviewEnv>) => ({ username: c.get('session').username, ip: c.get('ip') });
  const decisions = (c: Context<ReviewEnv>): ReviewDecisions => new ReviewDecisions(c.get('store'), options.delivery, options.events);
  const overdueBefore = (): Date => new Date(now().getTime() - options.overdueAfterMs);

  app.get('/', async (c) => {
    const store = c.get('store');
    const q = c.req.query();
    const status = q['status'] === 'all' ? undefined : QUEUE_STATUSES.includes(q['status'] as QueueStatus) ? (q['status'] as QueueStatus) : 'held';
    const overdue = q['overdue'] === '1';
    const page = Math.max(1, Number.parseInt(q['page'] ?? '1', 10) || 1);
    const filter = {
      ...(overdue ? { status: 'held' as const, receivedBefore: overdueBefore() } : status ? { status } : {}),
      ...(q['rule'] ? { rule: q['rule'] } : {}),
      ...(q['sender'] ? { sender: q['sender'].slice(0, 200) } : {}),
    };
    const [{ entries, total }, counts] = await Promise.all([
      store.list({ ...filter, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
      store.counts(overdueBefore()),
    ]);
    return c.html(
      <QueuePage
        organisation={organisation}
        session={c.get('session')}
        entries={entries}
        total={total}
        counts={counts}
        filter={{ ...filter, ...(overdue ? { overdue } : {}) }}
        rules={options.rules}
        page={page}
        pageSize={PAGE_SIZE}
        overdueBefore={overdueBefore()}
        now={now()}
        flash={q['done']}
        error={q['error']}
      />,
    );
  });

  app.get('/messages/:ref', async (c) => {
    const store = c.get('store');
    const reference = c.req.param('ref');
    const item = await store.get(reference);
    if (!item) return c.text('No such message in the queue.', 404);
    await store.audit({ ...auditActor(c), action: 'view', reference, detail: '' });
    const overdue = item.status === 'held' && item.receivedAt < overdueBefore();
    const q = c.req.query();
    return c.html(<MessagePage organisation={organisation} session={c.get('session')} item={item} overdue={overdue} flash={q['done']} error={q['error']} />);
  });

  app.get('/messages/:ref/eml', async (c) => {
    const refused = dpoOnly(c);
    if (refused) return refused;
    const store = c.get('store');
    const reference = c.req.param('ref');
    const raw = await store.raw(reference);
    if (!raw) return c.text('No such message, or its content has been removed after the retention period.', 404);
    await store.audit({ ...auditActor(c), action: 'download', reference, detail: `${raw.length} bytes` });
    const filename = `${reference.replace(/[^A-Za-z0-9-]/g, '')}.eml`;
    return c.body(new Uint8Array(raw), 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${filename}"`,
    });
  });

  app.post('/messages/:ref/release', async (c) => {
    const refused = dpoOnly(c);
    if (refused) return refused;
    const reference = c.req.param('ref');
    const result = await decisions(c).release(reference, actor(c));
    return c.redirect(messageUrl(reference, result, 'Released: the message has been handed to delivery.'), 303);
  });

  app.post('/messages/:ref/reject', async (c) => {
    const refused = dpoOnly(c);
    if (refused) return refused;
    const reference = c.req.param('ref');
    const reason = formText(await c.req.parseBody(), 'reason', 1000);
    if (!reason) return c.redirect(`/messages/${encodeURIComponent(reference)}?error=${encodeURIComponent('Give a reason for rejecting: the sender is told it.')}`, 303);
    const result = await decisions(c).reject(reference, actor(c), reason);
    return c.redirect(messageUrl(reference, result, 'Rejected: the message will not be sent.'), 303);
  });

  app.post('/messages/:ref/note', async (c) => {
    const refused = dpoOnly(c);
    if (refused) return refused;
    const store = c.get('store');
    const reference = c.req.param('ref');
    const text = formText(await c.req.parseBody(), 'text', 2000);
    if (!text) return c.redirect(`/messages/${encodeURIComponent(reference)}?error=${encodeURIComponent('The note was empty.')}`, 303);
    if (!(await store.addNote(reference, c.get('session').username, text))) return c.text('No such message in the queue.', 404);
    await store.audit({ ...auditActor(c), action: 'note', reference, detail: `${text.length} characters` });
    return c.redirect(`/messages/${encodeURIComponent(reference)}?done=${encodeURIComponent('Note added.')}`, 303);
  });

  app.post('/bulk', async (c) => {
    const refused = dpoOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody({ all: true });
    const refs = [form['ref'] ?? []].flat().filter((r): r is string => typeof r === 'string').slice(0, 500);
    const action = form['action'];
    if (refs.length === 0) return c.redirect(`/?error=${encodeURIComponent('Select at least one message.')}`, 303);
    const reason = formText(form, 'reason', 1000);
    if (action === 'reject' && !reason) return c.redirect(`/?error=${encodeURIComponent('Give a reason for rejecting: the senders are told it.')}`, 303);
    if (action !== 'release' && action !== 'reject') return c.text('Unknown action.', 400);
    let done = 0;
    const skipped: string[] = [];
    for (const reference of refs) {
      const result = action === 'release' ? await decisions(c).release(reference, actor(c)) : await decisions(c).reject(reference, actor(c), reason!);
      if (result.done) done++;
      else skipped.push(reference);
    }
    const verb = action === 'release' ? 'Released' : 'Rejected';
    const message = `${verb} ${done} message(s).${skipped.length ? ` Not done (already decided, or delivery failed): ${skipped.join(', ')}.` : ''}`;
    return c.redirect(`/?${skipped.length ? 'error' : 'done'}=${encodeURIComponent(message)}`, 303);
  });

  app.get('/audit', async (c) => {
    const q = c.req.query();
    const page = Math.max(1, Number.parseInt(q['page'] ?? '1', 10) || 1);
    const filter = { ...(q['reference'] ? { reference: q['reference'] } : {}), ...(q['actor'] ? { actor: q['actor'] } : {}) };
    const { entries, total } = await c.get('store').auditLog({ ...filter, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    return c.html(<AuditPage organisation={organisation} session={c.get('session')} entries={entries} total={total} filter={filter} page={page} pageSize={PAGE_SIZE} />);
  });

  app.get('/audit.csv', async (c) => {
    const store = c.get('store');
    const q = c.req.query();
    const filter = { ...(q['reference'] ? { reference: q['reference'] } : {}), ...(q['actor'] ? { actor: q['actor'] } : {}) };
    const { entries } = await store.auditLog({ ...filter, limit: 1_000_000 });
    await store.audit({ ...auditActor(c), action: 'audit-export', detail: `${entries.length} entries` });
    const rows = entries.map((e) => [e.at.toISOString(), e.actor, e.ip, e.action, e.reference ?? '', e.detail].map(spreadsheetSafe));
    const csv = stringify([['time', 'reviewer', 'address', 'action', 'reference', 'detail'], ...rows]);
    return c.body(csv, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="dlp-audit.csv"' });
  });

  return app;
}

function auditActor(c: Context<ReviewEnv>): { actor: string; ip: string } {
  return { actor: c.get('session').username, ip: c.get('ip') };
}

function messageUrl(reference: string, result: DecisionResult, success: string): string {
  const base = `/messages/${encodeURIComponent(reference)}`;
  if (result.done) return `${base}?done=${encodeURIComponent(success)}`;
  const why =
    result.why === 'already-decided'
      ? `Nothing done: this message is already ${result.status} (another reviewer may have decided it).`
      : result.why === 'delivery-failed'
        ? 'Delivery could not take the message just now; it is still held. Try again shortly.'
        : 'No such message.';
  return `${base}?error=${encodeURIComponent(why)}`;
}

function formText(form: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = form[field];
  if (typeof value !== 'string') return undefined;
  const text = value.trim().slice(0, max);
  return text || undefined;
}

/** A cell a spreadsheet would run as a formula (=, +, -, @) is written as text. */
function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
