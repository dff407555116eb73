/**
 * Signing in and out. Passwords are checked by the store (scrypt); failures are throttled per
 * account and per address in the store, so every relay sharing it enforces the same limits.
 * The sign-in form carries its own CSRF token (a cookie and a field that must match).
 */
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { ReviewSettings } from '../config/quarantine.js';
import type { Session } from '../quarantine/types.js';
import {
  newToken,
  passesCsrf,
  proxyUser,
  readSessionToken,
  sessionCookieName,
  setSessionCookie,
  signInCookieName,
  type ReviewEnv,
} from './auth.js';
import { SignInPage } from './pages/sign-in.js';

const ACCOUNT_LIMIT = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
const ADDRESS_LIMIT = { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

/** The reviewer making this request, from the session cookie or a trusted proxy's header. */
export async function signedInReviewer(c: Context<ReviewEnv>, settings: ReviewSettings): Promise<Session | undefined> {
  const store = c.get('store');
  const token = readSessionToken(c, settings);
  const session = token ? await store.session(token) : undefined;
  const viaProxy = proxyUser(c, settings);
  if (session && (!viaProxy || viaProxy === session.username)) {
    c.set('session', session);
    c.set('sessionToken', token!);
    return session;
  }
  if (!viaProxy) return undefined;
  // A proxy-authenticated reviewer gets a session of their own, for the CSRF token.
  const reviewer = await store.reviewer(viaProxy);
  if (!reviewer || reviewer.disabled) return undefined;
  const created = await store.createSession(reviewer.username, settings.sessionTtlMs);
  setSessionCookie(c, settings, sessionCookieName(settings), created.token, Math.floor(settings.sessionTtlMs / 1000));
  await store.audit({ actor: reviewer.username, ip: c.get('ip'), action: 'sign-in', detail: `through the proxy header ${settings.trustedUserHeader}` });
  c.set('session', created.session);
  c.set('sessionToken', created.token);
  return created.session;
}

export function registerSignIn(app: Hono<ReviewEnv>, settings: ReviewSettings, organisation: string, now: () => Date): void {
  const formToken = (c: Context<ReviewEnv>): string => {
    const existing = getCookie(c, signInCookieName(settings));
    if (existing) return existing;
    const token = newToken();
    setSessionCookie(c, settings, signInCookieName(settings), token, 3600);
    return token;
  };
  // Only a path on this site: browsers drop tabs and newlines and read "\\" as "/", so "/\t/evil.example" would leave it.
  const safeNext = (next: unknown): string => {
    if (typeof next !== 'string' || !next.startsWith('/') || /[\x00-\x1f\\]/.test(next) || next.startsWith('//')) return '/';
    const url = new URL(next, 'http://review.invalid');
    return url.origin === 'http://review.invalid' ? `${url.pathname}${url.search}` : '/';
  };

  app.get('/sign-in', (c) => c.html(<SignInPage organisation={organisation} csrf={formToken(c)} next={safeNext(c.req.query('next'))} />));

  app.post('/sign-in', async (c) => {
    const store = c.get('store');
    const form = await c.req.parseBody();
    const username = typeof form['username'] === 'string' ? form['username'].trim().toLowerCase().slice(0, 254) : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    const next = safeNext(form['next']);
    const again = (error: string, status: 400 | 403 | 429 = 400): Response | Promise<Response> =>
      c.html(<SignInPage organisation={organisation} csrf={formToken(c)} next={next} error={error} username={username} />, status);

    if (!passesCsrf(c, getCookie(c, signInCookieName(settings)) ?? '', typeof form['csrf'] === 'string' ? form['csrf'] : undefined, settings.publicUrl)) {
      return again('The sign-in form had expired. Please try again.', 403);
    }
    const ip = c.get('ip');
    const at = now();
    const locked = (await store.lockedUntil(`account:${username}`, at)) ?? (await store.lockedUntil(`address:${ip}`, at));
    if (locked) {
      await store.audit({ actor: username || '(none)', ip, action: 'sign-in-refused', detail: 'too many failed attempts' });
      const minutes = Math.max(1, Math.ceil((locked.getTime() - at.getTime()) / 60_000));
      return again(`Too many failed attempts. Try again in ${minutes} minute(s), or ask IT to reset your password.`, 429);
    }
    const reviewer = username && password ? await store.verifyPassword(username, password) : undefined;
    if (!reviewer) {
      await store.recordSignInFailure(`account:${username}`, at, ACCOUNT_LIMIT);
      await store.recordSignInFailure(`address:${ip}`, at, ADDRESS_LIMIT);
      await store.audit({ actor: username || '(none)', ip, action: 'sign-in-failed', detail: '' });
      return again('That email address and password do not match a reviewer account.');
    }
    await store.clearSignInFailures(`account:${username}`);
    const { token } = await store.createSession(reviewer.username, settings.sessionTtlMs);
    setSessionCookie(c, settings, sessionCookieName(settings), token, Math.floor(settings.sessionTtlMs / 1000));
    deleteCookie(c, signInCookieName(settings), { path: '/', secure: settings.secureCookies });
    await store.audit({ actor: reviewer.username, ip, action: 'sign-in', detail: reviewer.role });
    return c.redirect(next, 303);
  });

  app.post('/sign-out', async (c) => {
    const store = c.get('store');
    const token = readSessionToken(c, settings);
    const session = token ? await store.session(token) : undefined;
    const form = await c.req.parseBody();
    if (!session || !passesCsrf(c, session.csrfToken, typeof form['csrf'] === 'string' ? form['csrf'] : undefined, settings.publicUrl)) return c.text('Not signed in.', 403);
    await store.endSession(token!);
    deleteCookie(c, sessionCookieName(settings), { path: '/', secure: settings.secureCookies });
    await store.audit({ actor: session.username, ip: c.get('ip'), action: 'sign-out', detail: '' });
    return c.redirect('/sign-in', 303);
  });
}
