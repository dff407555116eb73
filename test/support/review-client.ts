/**
 * The review queue driven over plain HTTP, as a browser's forms would (sign-in form with its
 * token, then the session cookie and the page's CSRF token on every POST). For end-to-end
 * tests that need a DPO's decision but not a browser.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export class ReviewClient {
  private cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async signIn(username: string, password: string): Promise<void> {
    const form = await this.get('/sign-in');
    const response = await this.post('/sign-in', { csrf: csrfIn(form), next: '/', username, password });
    if (response.status !== 303) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  }

  async release(reference: string): Promise<string> {
    return this.decide(reference, 'release', {});
  }

  async reject(reference: string, reason: string): Promise<string> {
    return this.decide(reference, 'reject', { reason });
  }

  /** Posts the decision with the message page's CSRF token; resolves with where it redirected to. */
  private async decide(reference: string, action: 'release' | 'reject', fields: Record<string, string>): Promise<string> {
    const page = await this.get(`/messages/${reference}`);
    const response = await this.post(`/messages/${reference}/${action}`, { csrf: csrfIn(page), ...fields });
    if (response.status !== 303) throw new Error(`${action} failed: ${response.status} ${await response.text()}`);
    return decodeURIComponent(response.headers.get('location') ?? '');
  }

  async get(path: string): Promise<string> {
    const response = await fetch(this.base + path, { headers: this.headers(), redirect: 'manual' });
    this.keepCookies(response);
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    return response.text();
  }

  private async post(path: string, fields: Record<string, string>): Promise<Response> {
    const response = await fetch(this.base + path, {
      method: 'POST',
      headers: { ...this.headers(), 'Content-Type': 'application/x-www-form-urlencoded', Origin: this.base },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    this.keepCookies(response);
    return response;
  }

  private headers(): Record<string, string> {
    return this.cookies.size ? { Cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  private keepCookies(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function csrfIn(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** Runs `bin/dlp.js` with arguments and stdin (reviewer accounts, say). */
export function dlpCommand(args: string[], input: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(REPO_ROOT, 'bin/dlp.js'), ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
    );
    child.stdin!.end(input);
  });
}
