/**
 * Who is asking: a signed-in reviewer (session cookie), or one a trusted reverse proxy vouches
 * for (Microsoft 365 / Google sign-in in front of the queue). Plus the CSRF check every
 * state-changing request must pass, and the client's address for the audit trail.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ReviewSettings } from '../config/quarantine.js';
import type { QuarantineStore, Session } from '../quarantine/types.js';

export interface ReviewEnv {
  Variables: { session: Session; sessionToken: string; ip: string; store: QuarantineStore };
}

export function sessionCookieName(settings: ReviewSettings): string {
  // __Host- cookies are only accepted over https, for this host, path /: no subdomain can plant one.
  return settings.secureCookies ? '__Host-dlp_session' : 'dlp_session';
}
export function signInCookieName(settings: ReviewSettings): string {
  return settings.secureCookies ? '__Host-dlp_signin' : 'dlp_signin';
}

export function setSessionCookie(c: Context, settings: ReviewSettings, name: string, value: string, maxAgeSeconds: number): void {
  setCookie(c, name, value, { httpOnly: true, sameSite: 'Strict', secure: settings.secureCookies, path: '/', maxAge: maxAgeSeconds });
}

/** The client's address: the socket's, or the proxy's X-Forwarded-For when the socket is a trusted proxy. */
/** The peer's address as written in trusted_proxies (no IPv4-mapped prefix); '' for in-process requests, which have no socket. */
function socketAddress(c: Context): string {
  try {
    return (getConnInfo(c).remote.address ?? '').replace(/^::ffff:/, '');
  } catch {
    return '';
  }
}

export function clientAddress(c: Context, settings: ReviewSettings): string {
  const plain = socketAddress(c);
  if (settings.trustedProxies.includes(plain)) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  return plain || 'unknown';
}

/** The reviewer a trusted proxy names, if the request came from one and the reviewer exists. */
export function proxyUser(c: Context, settings: ReviewSettings): string | undefined {
  if (!settings.trustedUserHeader || !settings.trustedProxies.includes(socketAddress(c))) return undefined;
  return c.req.header(settings.trustedUserHeader)?.trim().toLowerCase() || undefined;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A state-changing request is ours only with the session's CSRF token in the form, and, when
 * the browser says where it came from, from this same origin.
 */
export function passesCsrf(c: Context, expected: string, submitted: string | undefined, publicUrl?: string): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    // Behind a proxy that rewrites Host, the site's own origin is the configured public URL.
    const hosts = [c.req.header('host'), publicUrl ? new URL(publicUrl).host : undefined].filter(Boolean);
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false; // "null" (a sandboxed or privacy-stripped origin) or garbage
    }
    if (!hosts.includes(host)) return false;
  }
  return sameToken(expected, submitted);
}

export function readSessionToken(c: Context, settings: ReviewSettings): string | undefined {
  return getCookie(c, sessionCookieName(settings));
}
