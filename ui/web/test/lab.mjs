// Against a real lab run (agent, relay with ClickHouse, the demo shop with
// its policies and live traffic): the map, a denied edge, filtering, the
// connection trace, the policy view and a historical window.
import { args, assert, check, main, page, shot } from './browser.mjs';

const WORKLOADS = ['shop/frontend', 'shop/catalog', 'shop/cart', 'shop/db', 'infra/coredns'];
const edge = (src, dst) => `.edge[data-src="${src}"][data-dst="${dst}"]`;

/** visibleRows returns the table's rows in view as {column id: text}. */
async function visibleRows(p) {
  return p.evaluate(() => {
    const cols = [...document.querySelectorAll('.thead .th')].map((th) => th.dataset.col);
    return [...document.querySelectorAll('.row:not([hidden])')].map((r) => {
      const o = { lost: r.classList.contains('lost') };
      [...r.children].forEach((c, i) => { o[cols[i]] = c.textContent; });
      return o;
    });
  });
}

async function setFilter(p, text) {
  await p.locator('[data-testid=filter]').fill(text);
  await p.locator('[data-testid=filter]').press('Enter');
}

/** waitSubscribed waits until the live stream runs with exactly filter and
 *  rows have arrived. */
async function waitSubscribed(p, filter) {
  await p.waitForFunction((f) => window.__loupe.subscribed() === f && window.__loupe.table().rows > 0, filter, { timeout: 30000 });
}

main(async (browser) => {
  const o = args();
  const { page: p, problems } = await page(browser);
  await p.goto(o.url);

  await check('the map shows the demo workloads', async () => {
    for (const w of WORKLOADS) await p.locator(`.node[data-id="${w}"]`).waitFor({ timeout: 30000 });
  });
  await check('the map shows their edges as traffic flows', async () => {
    for (const [s, d] of [['shop/frontend', 'shop/catalog'], ['shop/frontend', 'shop/cart'], ['shop/catalog', 'shop/db'], ['shop/frontend', 'infra/coredns']]) {
      await p.locator(edge(s, d)).first().waitFor({ timeout: 60000 });
    }
    await p.locator('[data-testid=map][data-state=stable]').waitFor({ timeout: 10000 });
  });
  await check('a denied connection is a red, dashed edge', async () => {
    const e = p.locator(edge('shop/frontend', 'shop/db') + '.dropped').first();
    await e.waitFor({ timeout: 60000 });
    const style = await e.locator('.line').evaluate((el) => { const s = getComputedStyle(el); return { stroke: s.stroke, dash: s.strokeDasharray }; });
    assert(style.stroke === 'rgb(214, 58, 58)', 'stroke ' + style.stroke);
    assert(style.dash && style.dash !== 'none', 'dasharray ' + style.dash);
    const ok = p.locator(edge('shop/frontend', 'shop/catalog') + '[data-port="8080"]').first();
    assert(!(await ok.evaluate((el) => el.classList.contains('dropped'))), 'frontend -> catalog:8080 is drawn as dropped');
  });
  await shot(p, o.out, '1-map-live');

  await check('a namespace folds into one node with its edges, and unfolds', async () => {
    await p.locator('.group[data-group="infra"] .group-title').dispatchEvent('click');
    await p.locator('.node[data-id="group:infra"]').waitFor({ timeout: 10000 });
    await p.locator('.edge[data-src="shop/frontend"][data-dst="group:infra"]').first().waitFor({ timeout: 10000 });
    assert(await p.locator('.node[data-id="infra/coredns"]').count() === 0, 'coredns still drawn in a folded infra');
    await p.locator('.node[data-id="group:infra"]').dispatchEvent('click');
    await p.locator('.node[data-id="infra/coredns"]').waitFor({ timeout: 10000 });
  });

  await check('clicking the denied edge shows its flows', async () => {
    await p.locator(edge('shop/frontend', 'shop/db') + '.dropped').first().dispatchEvent('click');
    const scope = await p.locator('[data-testid=edge-scope]').textContent({ timeout: 5000 });
    assert(scope.includes('shop/frontend → shop/db'), 'scope ' + scope);
    await p.locator('[data-testid=panel] h2', { hasText: 'Edge' }).waitFor();
    await p.waitForFunction(() => window.__loupe.table().rows > 0, null, { timeout: 10000 });
    const rows = (await visibleRows(p)).filter((r) => !r.lost);
    assert(rows.length > 0, 'no rows for the edge');
    for (const r of rows) assert(r.source.startsWith('shop/frontend') && r.destination === 'shop/db', 'row outside the edge: ' + JSON.stringify(r));
    assert(rows.some((r) => r.verdict === 'DROPPED'), 'no DROPPED row on the denied edge');
    await p.locator('.scope button.link').click();
  });
  await shot(p, o.out, '2-edge-flows');

  await check('filtering narrows the table', async () => {
    const before = (await visibleRows(p)).filter((r) => !r.lost);
    assert(before.some((r) => !r.source.startsWith('shop/frontend') || r.port !== 'TCP/8080'), 'unfiltered table has only frontend -> 8080 rows');
    const f = 'from:label=app=frontend to:port=8080';
    await setFilter(p, f);
    await waitSubscribed(p, f);
    await p.waitForTimeout(1500);
    const rows = (await visibleRows(p)).filter((r) => !r.lost);
    assert(rows.length > 0, 'no rows after filtering');
    for (const r of rows) assert(r.source.startsWith('shop/frontend:') && r.port === 'TCP/8080', 'row outside the filter: ' + JSON.stringify(r));
  });
  await check('pause holds the table; resume streams again', async () => {
    await p.locator('[data-testid=pause]').click();
    await p.waitForFunction(() => /paused/.test(document.querySelector('[data-testid=state]').textContent), null, { timeout: 5000 });
    await p.waitForTimeout(300); // a batch already on its way may land
    const before = await p.evaluate(() => window.__loupe.table().rows);
    await p.waitForTimeout(1500);
    assert(await p.evaluate(() => window.__loupe.table().rows) === before, 'rows grew while paused');
    await p.locator('[data-testid=pause]').click();
    await p.waitForFunction(() => /^live/.test(document.querySelector('[data-testid=state]').textContent) && window.__loupe.table().rows > 0, null, { timeout: 10000 });
  });
  await check('the verdict selector narrows to drops', async () => {
    await setFilter(p, '');
    await p.locator('[data-testid=verdict]').selectOption('DROPPED');
    await waitSubscribed(p, 'verdict=DROPPED');
    const rows = (await visibleRows(p)).filter((r) => !r.lost);
    assert(rows.length > 0 && rows.every((r) => r.verdict === 'DROPPED'), 'rows: ' + JSON.stringify(rows.slice(0, 3)));
    await p.locator('[data-testid=verdict]').selectOption('');
  });
  await shot(p, o.out, '3-filtered');

  await check('a connection trace shows its observation points in order', async () => {
    // catalog -> db is plain TCP (no L7 rule): it passes no proxy.
    const f = 'from:workload=shop/catalog to:workload=shop/db to:port=5432 tcp-flags=SYN';
    await setFilter(p, f);
    await waitSubscribed(p, f);
    await p.locator('.row:not([hidden]):not(.lost)').first().click();
    await p.locator('[data-testid=trace-connection]').click();
    const stages = p.locator('[data-testid=connection-stages] li');
    await stages.first().waitFor({ timeout: 15000 });
    const got = await stages.evaluateAll((ls) => ls.map((l) => (l.dataset.reply === 'true' ? 'reply ' : '') + l.dataset.point));
    for (const want of ['from-endpoint', 'to-endpoint', 'reply from-endpoint', 'reply to-endpoint']) {
      assert(got.includes(want), `stages ${got.join(', ')} lack ${want}`);
    }
    assert(got.indexOf('from-endpoint') < got.indexOf('to-endpoint'), 'from-endpoint after to-endpoint: ' + got.join(', '));
    const times = await stages.evaluateAll((ls) => ls.map((l) => parseFloat(l.querySelector('.stage-time').textContent.slice(1))));
    for (let i = 1; i < times.length; i++) assert(times[i] >= times[i - 1], 'stages out of time order: ' + times.join(', '));
  });
  await shot(p, o.out, '4-connection-trace');

  if (o.l7 === 'true') {
    await check('a connection through the L7 proxy shows to-proxy, then the upstream from-proxy', async () => {
      const f = 'from:workload=shop/frontend to:workload=shop/catalog to:port=8080 tcp-flags=SYN type=trace:to-proxy';
      await setFilter(p, f);
      await waitSubscribed(p, f);
      await p.locator('.row:not([hidden]):not(.lost)').first().click();
      await p.locator('[data-testid=trace-connection]').click();
      const stages = p.locator('[data-testid=connection-stages] li');
      await stages.first().waitFor({ timeout: 15000 });
      const got = await stages.evaluateAll((ls) => ls.map((l) => (l.dataset.leg === 'upstream' ? 'upstream ' : '') + (l.dataset.reply === 'true' ? 'reply ' : '') + l.dataset.point));
      const order = ['from-endpoint', 'to-proxy', 'upstream from-proxy', 'upstream reply from-endpoint'];
      for (const want of [...order, 'reply to-endpoint']) assert(got.includes(want), `stages ${got.join(', ')} lack ${want}`);
      for (let i = 1; i < order.length; i++) {
        assert(got.indexOf(order[i - 1]) < got.indexOf(order[i]), `${order[i - 1]} after ${order[i]}: ${got.join(', ')}`);
      }
    });
    await shot(p, o.out, '4b-proxy-trace');
  }

  await check('the policy view of the database explains its drops', async () => {
    await setFilter(p, '');
    await p.locator('.node[data-id="shop/db"]').click();
    await p.locator('[data-testid=policy-view]').click();
    const view = p.locator('[data-testid=policy]');
    await view.waitFor({ timeout: 15000 });
    await view.locator('li[data-policy="shop/db-from-api"]').waitFor({ timeout: 5000 });
    const drop = view.locator('.drop[data-from="shop/frontend"]').first();
    await drop.waitFor({ timeout: 5000 });
    // The explanation names the policy the drops name.
    const by = (await drop.locator('.muted').textContent()).split(' by ')[1] || '';
    const why = await drop.locator('.explain').textContent();
    assert(by && /DENIED/.test(why) && by.split(', ').some((n) => why.includes(n)), `drops by "${by}" explained as "${why}"`);
  });
  await shot(p, o.out, '5-policy');

  await check('a historical window renders from ClickHouse', async () => {
    await p.locator('[data-testid=range]').selectOption('3600');
    await p.waitForFunction(() => document.body.dataset.loaded === 'history', null, { timeout: 30000 });
    const state = await p.locator('[data-testid=state]').textContent();
    assert(/edges from ClickHouse/.test(state), 'state: ' + state);
    await p.locator(edge('shop/frontend', 'shop/catalog')).first().waitFor({ timeout: 10000 });
    await p.locator(edge('shop/frontend', 'shop/db') + '.dropped').first().waitFor({ timeout: 10000 });
    await p.locator('[data-testid=map][data-state=stable]').waitFor({ timeout: 10000 });
    const rows = (await visibleRows(p)).filter((r) => !r.lost);
    assert(rows.length > 0, 'no history rows in the table');
  });
  await shot(p, o.out, '6-history');

  await check('an absolute window (from … to …) renders from ClickHouse too', async () => {
    const local = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    await p.locator('[data-testid=range]').selectOption('-1');
    await p.locator('[data-testid=from]').fill(local(Date.now() - 30 * 60000));
    await p.locator('[data-testid=to]').fill(local(Date.now() + 60000));
    await p.locator('[data-testid=apply]').click();
    await p.waitForFunction(() => document.body.dataset.loaded === 'history' && / to .*edges from ClickHouse/.test(document.querySelector('[data-testid=state]').textContent), null, { timeout: 30000 });
    await p.locator(edge('shop/frontend', 'shop/catalog')).first().waitFor({ timeout: 10000 });
  });

  if (o.l7 === 'true') {
    await p.locator('[data-testid=range]').selectOption('0');
    await check('an HTTP request trace shows its path through the services as a waterfall', async () => {
      const f = 'trace-id=' + o['trace-id'];
      await setFilter(p, f);
      await waitSubscribed(p, f);
      await p.locator('.row:not([hidden]):not(.lost)', { hasText: 'HTTP' }).first().click();
      await p.locator('[data-testid=trace-request]').click();
      const spans = p.locator('[data-testid=waterfall] .span');
      await spans.nth(1).waitFor({ timeout: 15000 });
      const names = await spans.evaluateAll((ss) => ss.map((s) => s.querySelector('.span-name').textContent.trim()));
      assert(names.includes('shop/frontend → shop/catalog'), 'spans: ' + names.join('; '));
      assert(names.includes('shop/catalog → shop/cart'), 'spans: ' + names.join('; '));
      const indents = await spans.evaluateAll((ss) => ss.map((s) => parseInt(s.querySelector('.span-name').style.paddingLeft || '0', 10)));
      assert(indents[names.indexOf('shop/catalog → shop/cart')] > indents[names.indexOf('shop/frontend → shop/catalog')], 'catalog -> cart is not nested: ' + indents.join(','));
    });
    await shot(p, o.out, '7-request-trace');
    // The proxy records the path escaped (%3Cimg...); the raw form is
    // checked against a fake relay (xss.mjs).
    await check('a request to /<img/src=x/onerror=alert(1)> is shown, as text', async () => {
      const f = 'verdict=DROPPED protocol=http';
      await setFilter(p, f);
      await waitSubscribed(p, f);
      const cell = p.locator('.row .td', { hasText: 'onerror=alert' }).first();
      await cell.waitFor({ timeout: 15000 });
      await cell.click();
      await p.locator('[data-testid=panel] dd', { hasText: 'onerror=alert' }).first().waitFor({ timeout: 5000 });
      const imgs = await p.evaluate(() => document.querySelectorAll('img').length);
      assert(imgs === 0, imgs + ' img elements in the page');
    });
    await shot(p, o.out, '8-xss-request');
  }
  assert(problems.length === 0, problems.join('; '));
});
