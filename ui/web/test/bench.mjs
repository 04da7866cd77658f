// Measurements (make bench), not pass/fail: a historical map of 500
// workloads and 2,000 edges, then 2,000 flows/s into the live page.
import { args, main, page } from './browser.mjs';

main(async (browser) => {
  const o = args();
  const seconds = Number(o.seconds || 60);
  const { page: p } = await page(browser);
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Performance.enable');
  const metric = async (name) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name).value;
  const heapMB = async (gc) => {
    if (gc) await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 1048576;
  };

  // 1. The map from the query API: 500 workloads, 2,000 edges.
  await p.goto(o.url + '?range=3600');
  await p.waitForFunction(() => document.querySelectorAll('.node').length >= 500 && document.querySelector('[data-testid=map]').dataset.state === 'stable', null, { timeout: 120000 });
  const m = await p.evaluate(() => ({
    ...window.__loupe.map,
    nodes: document.querySelectorAll('.node').length,
    edges: document.querySelectorAll('.edge').length,
    dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
  }));
  console.log(`BENCH ui_map workloads=${m.nodes} edges=${m.edges} page_ready_ms=${m.dcl.toFixed(0)} layout_posted_ms=${m.postedMs.toFixed(0)} layout_back_ms=${m.receivedMs.toFixed(0)} first_render_ms=${m.firstRenderMs.toFixed(0)} first_redraw_ms=${m.maxRenderMs.toFixed(0)} stable_layout_ms=${m.stableMs.toFixed(0)} worker_layout_ms=${m.lastLayoutMs.toFixed(0)} aim_ms=2000 stable_over_aim=${(m.stableMs / 2000).toFixed(2)}`);

  // 2. 2,000 flows/s into the live page.
  await p.goto(o.url);
  await p.evaluate(() => {
    const s = { max: 0, over50: 0, over100: 0, n: 0 };
    window.__frames = s;
    let last = performance.now();
    const f = (t) => { const d = t - last; last = t; s.n++; if (d > s.max) s.max = d; if (d > 50) s.over50++; if (d > 100) s.over100++; requestAnimationFrame(f); };
    requestAnimationFrame(f);
    window.__long = { max: 0, n: 0 };
    new PerformanceObserver((l) => { for (const e of l.getEntries()) { window.__long.n++; window.__long.max = Math.max(window.__long.max, e.duration); } }).observe({ type: 'longtask' });
  });
  await p.waitForTimeout(12000); // warm-up: the map fills and the table reaches its cap (20,000 rows)
  const heap0 = await heapMB(true);
  await p.evaluate(() => { Object.assign(window.__frames, { max: 0, over50: 0, over100: 0, n: 0 }); Object.assign(window.__long, { max: 0, n: 0 }); window.__loupe.map.maxRenderMs = 0; });
  const positions = () => p.evaluate(() => Object.fromEntries([...document.querySelectorAll('.node')].map((n) => [n.dataset.id, n.getAttribute('transform')])));
  const pos0 = await positions();
  const samples = [];
  const busy0 = await metric('TaskDuration'), script0 = await metric('ScriptDuration');
  const t0 = Date.now();
  let rows0 = await p.evaluate(() => window.__loupe.table().rows);
  while (Date.now() - t0 < seconds * 1000) {
    await p.waitForTimeout(5000);
    samples.push(await heapMB(false));
  }
  const busy = (await metric('TaskDuration')) - busy0, script = (await metric('ScriptDuration')) - script0;
  const fr = await p.evaluate(() => window.__frames);
  const lt = await p.evaluate(() => window.__long);
  const t = await p.evaluate(() => ({ ...window.__loupe.table(), render: window.__loupe.map.maxRenderMs, counts: document.querySelector('[data-testid=counts]').textContent, nodes: document.querySelectorAll('.node').length, edges: document.querySelectorAll('.edge').length }));
  await p.evaluate(() => { const s = window.__frames; Object.assign(s, { probe: performance.now() }); });
  const pos1 = await positions();
  const moved = Object.keys(pos1).filter((id) => pos0[id] !== undefined && pos0[id] !== pos1[id]).length;
  const layouts = await p.evaluate(() => window.__loupe.map.layouts);
  const heap1 = await heapMB(true);
  const elapsed = (Date.now() - t0) / 1000;
  console.log(`BENCH ui_flood_main_thread busy_share=${(busy / elapsed).toFixed(2)} script_share=${(script / elapsed).toFixed(2)} (of wall time; the rest is idle)`);
  console.log(`BENCH ui_flood rate_in=2000/s seconds=${elapsed.toFixed(0)} frames=${fr.n} fps=${(fr.n / elapsed).toFixed(1)} longest_frame_ms=${fr.max.toFixed(0)} frames_over_50ms=${fr.over50} frames_over_100ms=${fr.over100} long_tasks=${lt.n} longest_task_ms=${lt.max.toFixed(0)} longest_map_redraw_ms=${t.render.toFixed(0)} nodes_moved=${moved}/${Object.keys(pos1).length} layouts=${layouts} aim_ms=100 longest_over_aim=${(fr.max / 100).toFixed(2)}`);
  console.log(`BENCH ui_flood_memory heap_after_warmup_mb=${heap0.toFixed(1)} heap_end_mb=${heap1.toFixed(1)} heap_max_mb=${Math.max(...samples).toFixed(1)} end_over_start=${(heap1 / heap0).toFixed(2)} samples_mb=${samples.map((x) => x.toFixed(0)).join(',')} table_rows=${t.rows} (start ${rows0}) lost=${t.lost} map=${t.nodes}n/${t.edges}e status="${t.counts}"`);
});
