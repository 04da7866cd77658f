// Flow data is attacker-controlled. Against a fake relay whose flows carry
// markup in labels, workload names, HTTP paths, headers and DNS names, the
// app must show it as text: no dialog, no element made from it.
import { args, assert, check, main, page, shot } from './browser.mjs';

const PAYLOAD = '/<img src=x onerror=alert(1)>';

main(async (browser) => {
  const o = args();
  const { page: p, problems } = await page(browser);
  await p.goto(o.url);
  await check('flows arrive in the table', async () => {
    await p.waitForFunction(() => window.__loupe && window.__loupe.table().rows >= 3, null, { timeout: 20000 });
  });
  await check('the HTTP path renders as text in the table', async () => {
    const cell = p.locator('.row .td', { hasText: PAYLOAD }).first();
    await cell.waitFor({ timeout: 10000 });
    const text = await cell.textContent();
    assert(text.includes('<img src=x onerror=alert(1)>'), 'cell text: ' + text);
  });
  await check('the map shows the hostile workload name as text', async () => {
    const name = p.locator('.node .node-name', { hasText: '<script>' }).first();
    await name.waitFor({ timeout: 20000 });
    const text = await name.textContent();
    assert(text.startsWith('<script>alert(3)'), 'node label: ' + text);
  });
  await check('the details panel shows headers and labels as text', async () => {
    await p.locator('.row', { hasText: PAYLOAD }).first().click();
    await p.locator('[data-testid=panel] dd', { hasText: 'x-evil: <svg onload=alert(2)>' }).first().waitFor({ timeout: 5000 });
    await p.locator('[data-testid=panel] .chip', { hasText: 'app=<b>bold</b>' }).first().waitFor({ timeout: 5000 });
  });
  await check('a hostile label clicked becomes filter text, not markup', async () => {
    await p.locator('[data-testid=panel] .chip', { hasText: 'app=<b>bold</b>' }).first().click();
    const v = await p.locator('[data-testid=filter]').inputValue();
    assert(v.includes('from:label=app=<b>bold</b>'), 'filter is ' + v);
  });
  await check('no element was made from flow data and nothing ran', async () => {
    await p.waitForTimeout(1000);
    const injected = await p.evaluate(() => document.querySelectorAll('img, script:not([src]), svg svg, b, iframe, object').length);
    assert(injected === 0, `${injected} elements made from flow data`);
    assert(problems.length === 0, problems.join('; '));
  });
  await shot(p, o.out, 'xss');
});
