import type { Child, FC } from 'hono/jsx';
import type { Session } from '../../quarantine/types.js';

/** Every page's frame. No scripts at all: the CSP forbids them, and nothing here needs one. */
export const Layout: FC<{ title: string; organisation: string; session?: Session; children?: Child }> = ({ title, organisation, session, children }) => (
  <html lang="en-GB">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>{`${title} – DLP review – ${organisation}`}</title>
      <link rel="stylesheet" href="/review.css" />
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/">
          {organisation}: held email review
        </a>
        {session ? (
          <nav>
            <a href="/">Queue</a>
            <a href="/audit">Audit log</a>
            <span class="who">
              {session.displayName} ({session.role === 'dpo' ? 'DPO' : 'viewer'})
            </span>
            <form method="post" action="/sign-out" class="inline">
              <input type="hidden" name="csrf" value={session.csrfToken} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          </nav>
        ) : null}
      </header>
      <main>{children}</main>
    </body>
  </html>
);

export const Flash: FC<{ message?: string | undefined; kind?: 'ok' | 'error' }> = ({ message, kind = 'ok' }) =>
  message ? <p class={`flash ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{message}</p> : null;

export const Csrf: FC<{ session: Session }> = ({ session }) => <input type="hidden" name="csrf" value={session.csrfToken} />;

export function age(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

export function when(date: Date | undefined): string {
  return date ? date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '';
}

export const STATUS_LABELS: Record<string, string> = {
  held: 'Held',
  releasing: 'Releasing',
  released: 'Released',
  rejected: 'Rejected',
  monitored: 'Would have been held (monitor mode)',
  expired: 'Expired (content removed)',
};

export const REVIEW_CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; }
body { margin: 0; background: #f6f7f9; }
.top { display: flex; justify-content: space-between; align-items: center; padding: .6rem 1.2rem; background: #1d3557; color: #fff; }
.top a { color: #fff; text-decoration: none; margin-right: 1rem; }
.brand { font-weight: 600; }
.who { margin-right: .8rem; opacity: .9; }
main { padding: 1rem 1.2rem; max-width: 1200px; margin: 0 auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e1e4e8; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
tr.overdue td { background: #fff4e5; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: .85em; background: #e1e4e8; margin: 0 .2rem .2rem 0; }
.badge.personal { background: #ffd6d6; } .badge.external { background: #ffe8c2; } .badge.trusted { background: #d6f0ff; } .badge.internal { background: #dff5df; }
.badge.overdue { background: #ff9f1c; color: #000; } .badge.held { background: #ffd166; } .badge.released { background: #b7e4c7; } .badge.rejected { background: #ffadad; } .badge.monitored { background: #cdb4db; }
.counts a { margin-right: 1rem; }
.filters { margin: .8rem 0; display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; }
.filters label { display: flex; flex-direction: column; font-size: .9em; }
mark { background: #ffe066; padding: 0 .1rem; }
pre.body { white-space: pre-wrap; word-break: break-word; background: #fff; border: 1px solid #e1e4e8; padding: .8rem; max-height: 40rem; overflow: auto; }
section { margin: 1.2rem 0; }
.flash { padding: .6rem .8rem; border-radius: .3rem; }
.flash.ok { background: #dff5df; } .flash.error { background: #ffd6d6; }
.banner { padding: .6rem .8rem; background: #ede7f6; border-left: 4px solid #6a4c93; }
form.inline { display: inline; }
button { padding: .35rem .8rem; border: 1px solid #1d3557; background: #fff; border-radius: .25rem; cursor: pointer; }
button.primary { background: #1d3557; color: #fff; } button.danger { border-color: #9b2226; color: #9b2226; }
button.link { border: none; background: none; color: #fff; text-decoration: underline; padding: 0; }
textarea { width: 100%; min-height: 4rem; }
.decide { display: flex; gap: 2rem; flex-wrap: wrap; background: #fff; padding: .8rem; border: 1px solid #e1e4e8; }
.muted { color: #5c6370; }
.signin { max-width: 22rem; margin: 3rem auto; background: #fff; padding: 1.2rem; border: 1px solid #e1e4e8; }
.signin label { display: block; margin: .6rem 0; } .signin input { width: 100%; padding: .35rem; }
`;
