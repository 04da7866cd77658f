// Shared by the browser tests: Debian's Chromium, headless, through
// playwright-core (never a downloaded browser), a fresh profile removed at
// the end, and a page that fails the test on a dialog or a script error.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) out[a[i].replace(/^--/, '')] = a[i + 1];
  if (!out.url) throw new Error('--url is required');
  out.out ||= join(process.cwd(), 'test-output');
  mkdirSync(out.out, { recursive: true });
  return out;
}

export async function launch() {
  // Under the Go test's temporary directory when it gives one, so that
  // the profile goes even if this script is killed.
  const profile = mkdtempSync(join(process.env.LOUPE_BROWSER_TMP || tmpdir(), 'loupe-chromium-'));
  // The fresh profile is the --user-data-dir (playwright passes it).
  let browser;
  try {
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage'],
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const close = async () => {
    await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}

/** page opens a page that records problems: dialogs (an XSS payload that
 *  ran), uncaught errors and console errors. */
export async function page(browser) {
  const p = await browser.newPage();
  const problems = [];
  p.on('dialog', async (d) => { problems.push(`dialog ${d.type()}: ${d.message()}`); await d.dismiss(); });
  p.on('pageerror', (e) => problems.push('page error: ' + e.message));
  // A refused inline script or style (CSP) means flow data became markup.
  p.on('console', (m) => { if (m.type() === 'error' && m.text().includes('Refused')) problems.push('console error: ' + m.text()); });
  return { page: p, problems };
}

let step = 0;
/** check runs one named assertion step and prints its outcome. */
export async function check(name, fn) {
  step++;
  const t0 = Date.now();
  try {
    const r = await fn();
    console.log(`ok ${step} - ${name} (${Date.now() - t0} ms)`);
    return r;
  } catch (e) {
    console.log(`not ok ${step} - ${name}: ${e.message}`);
    throw e;
  }
}

export async function shot(p, out, name) {
  const file = join(out, name + '.png');
  await p.screenshot({ path: file });
  console.log('screenshot ' + file);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** main runs fn and exits 0 only if it passed and nothing went wrong. */
export async function main(fn) {
  let code = 0;
  let close = async () => {};
  try {
    const launched = await launch();
    close = launched.close;
    await fn(launched.browser);
  } catch (e) {
    console.error('FAIL: ' + (e.stack || e.message));
    code = 1;
  } finally {
    await close();
  }
  process.exit(code);
}
