/**
 * The DPO's review queue end to end: a held message goes through the real relay into the
 * queue; a reviewer signs in through headless Chromium, opens it, releases it, and the
 * downstream server receives it exactly once; another is rejected and never delivered.
 * The held messages carry script and HTML injection in every field a page shows.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarakaRelay } from '../support/haraka-relay.js';
import { REPO_ROOT } from '../support/paths.js';
import { referenceIn, relayQueue } from '../support/relay-queue.js';
import { dlpCommand } from '../support/review-client.js';
import { sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const PERSONAL = 'sarah.jones1984@gmail.com';
const DPO = { username: 'dpo@example-trust.org.uk', password: 'correct horse battery staple' };
const VIEWER = { username: 'head@example-trust.org.uk', password: 'viewer password 12345' };
const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'screenshots');
const DLP_YAML = `mode: enforce
organisation:
  name: Riverside Academy Trust
  internal_domains: [example-trust.org.uk]
rules:
  forward-to-personal-address: { action: hold }
`;

const PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

function hostileForward(tag: string): Promise<Buffer> {
  return new MailComposer({
    from: { name: `Sarah <b onmouseover="window.__pwned=3">${tag}</b>`, address: STAFF },
    to: PERSONAL,
    subject: `Fwd: ${tag} ${PAYLOAD}`,
    text: `---------- Forwarded message ---------\nFrom: Office <office@example-trust.org.uk>\n\n${tag} body ${PAYLOAD} </pre><iframe src="https://evil.example/"></iframe>`,
    html: `<p>${tag}</p><script>window.__pwned=4</script><img src="https://tracker.example/pixel.gif">`,
    headers: { 'X-Note': '"><script>window.__pwned=5</script>' },
    attachments: [{ filename: `"><svg onload="window.__pwned=6">${tag}.txt`, content: 'notes' }],
  })
    .compile()
    .build();
}


describe('review queue in a browser, through the real relay', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: `${DLP_YAML}quarantine:\n  release_via: smtp://127.0.0.1:${sink.port}\n`, smarthostPort: sink.port }).start();
    base = `http://127.0.0.1:${relay.reviewPort}`;
    await relay.waitForOutput(/review queue listening/);
    for (const [who, role] of [[DPO, 'dpo'], [VIEWER, 'viewer']] as const) {
      const added = await dlpCommand(['reviewer', 'add', who.username, '--role', role, '--config', relay.configDir], `${who.password}\n`);
      expect(added).toEqual({ code: 0, out: `Added ${who.username} (${role}).\n` });
    }
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
    await sink.stop();
  });

  async function signIn(who: { username: string; password: string }): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on('dialog', () => {
      throw new Error('a dialog opened: injected script ran');
    });
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.fill('input[name=username]', who.username);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    return page;
  }

  it('a DPO releases one held message (delivered exactly once, as received) and rejects another (never delivered)', async () => {
    const first = await sendRaw(relay.port, { from: STAFF, to: [PERSONAL] }, await hostileForward('FIRST'));
    const second = await sendRaw(relay.port, { from: STAFF, to: [PERSONAL] }, await hostileForward('SECOND'));
    expect([first.code, second.code]).toEqual([250, 250]);
    const [releaseRef, rejectRef] = [referenceIn(first.response), referenceIn(second.response)];
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(0);

    const page = await signIn(DPO);
    await expect(page.locator(`tr[data-ref="${releaseRef}"]`).innerText()).resolves.toMatch(/FIRST/);
    await expect(page.locator(`tr[data-ref="${rejectRef}"]`).innerText()).resolves.toMatch(/personal/);
    await page.screenshot({ path: join(SCREENSHOTS, 'queue.png'), fullPage: true });

    await page.click(`tr[data-ref="${releaseRef}"] a`);
    await page.waitForURL(`${base}/messages/${releaseRef}`);
    // The payloads are shown as text, and nothing in them ran or loaded.
    const title = await page.locator('h1').innerText();
    expect(title).toContain(PAYLOAD);
    expect(await page.locator('pre.body').innerText()).toContain('<iframe src="https://evil.example/"></iframe>');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('script, iframe, svg, img').count()).toBe(0);
    expect(await page.locator('text=forward-to-personal-address').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'message.png'), fullPage: true });

    await page.click('button:has-text("Release")');
    await expect(page.locator('.flash.ok').innerText()).resolves.toMatch(/Released/);
    const [delivered] = await sink.waitFor(1).catch((e: Error) => { throw new Error(`${e.message}\n${relay.output.split('\n').filter((l) => /outbound|get_mx|dlp|hmail|mx/i.test(l)).slice(-40).join('\n')}`); });
    expect(delivered!.rcptTo).toEqual([PERSONAL]);
    expect(delivered!.mailFrom).toBe(STAFF);
    const queue = await relayQueue(relay);
    try {
      const stored = (await queue.raw(releaseRef))!;
      // Delivered as held: Haraka adds only its own Received line on top.
      expect(delivered!.raw.subarray(delivered!.raw.length - stored.length).equals(stored)).toBe(true);
    } finally {
      await queue.close();
    }

    // The same release form submitted again (back button, or a second reviewer's stale page) does nothing.
    await page.goBack();
    await page.goBack();
    await page.reload();
    await page.goto(`${base}/messages/${releaseRef}`);
    expect(await page.locator('button:has-text("Release")').count()).toBe(0);
    const replay = await page.request.post(`${base}/messages/${releaseRef}/release`, {
      form: { csrf: await csrfOf(page) },
      maxRedirects: 0,
    });
    expect(replay.status()).toBe(303);
    expect(decodeURIComponent(replay.headers()['location']!)).toMatch(/already released/);

    await page.goto(`${base}/messages/${rejectRef}`);
    await page.fill('textarea[name=reason]', 'Pupil data must not go to a personal address.');
    await page.click('button:has-text("Reject")');
    await expect(page.locator('.flash.ok').innerText()).resolves.toMatch(/Rejected/);
    await expect(page.locator('.badge.rejected').first().innerText()).resolves.toBe('Rejected');

    await page.goto(`${base}/audit`);
    const audit = await page.locator('table').innerText();
    for (const action of ['sign-in', 'view', 'release', 'reject']) expect(audit).toContain(action);
    const csv = await page.request.get(`${base}/audit.csv`);
    expect(csv.headers()['content-type']).toMatch(/text\/csv/);
    expect(await csv.text()).toMatch(new RegExp(`release,${releaseRef}`));

    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received).toHaveLength(1);
  }, 60_000);

  it('a viewer can read the queue but not release, and requests without a session or CSRF token are refused', async () => {
    const held = await sendRaw(relay.port, { from: STAFF, to: [PERSONAL] }, await hostileForward('THIRD'));
    const reference = referenceIn(held.response);
    const before = sink.received.length;

    const viewer = await signIn(VIEWER);
    await viewer.goto(`${base}/messages/${reference}`);
    expect(await viewer.locator('button:has-text("Release")').count()).toBe(0);
    expect(await viewer.locator('a:has-text("Download")').count()).toBe(0);
    const asViewer = await viewer.request.post(`${base}/messages/${reference}/release`, { form: { csrf: await csrfOf(viewer) }, maxRedirects: 0 });
    expect(asViewer.status()).toBe(403);
    expect((await viewer.request.get(`${base}/messages/${reference}/eml`)).status()).toBe(403);

    const dpo = await signIn(DPO);
    const noToken = await dpo.request.post(`${base}/messages/${reference}/release`, { form: {}, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const wrongToken = await dpo.request.post(`${base}/messages/${reference}/release`, { form: { csrf: await csrfOf(viewer) }, maxRedirects: 0 });
    expect(wrongToken.status()).toBe(403);
    const crossSite = await dpo.request.post(`${base}/messages/${reference}/release`, {
      form: { csrf: await csrfOf(dpo) },
      headers: { Origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    const anonymous = await fetch(`${base}/messages/${reference}/release`, { method: 'POST', body: new URLSearchParams({ csrf: 'x' }), redirect: 'manual' });
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${base}/messages/${reference}/eml`, { redirect: 'manual' })).status).toBe(303);

    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(before);
    const queue = await relayQueue(relay);
    try {
      expect((await queue.get(reference))!.status).toBe('held');
    } finally {
      await queue.close();
    }
  }, 60_000);
});

async function csrfOf(page: Page): Promise<string> {
  const token = await page.locator('input[name=csrf]').first().getAttribute('value');
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}
