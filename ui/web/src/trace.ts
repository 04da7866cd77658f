// Tracing: a connection's observation points in order, and an L7
// request's spans across services as a waterfall.
import { h } from './dom';
import { endpointName, Flow, Item, l7Summary, point, ports, tcpFlags, timeNs } from './model';

export interface Stage { flow: Flow; offsetMs: number; label: string; upstream: boolean }

/** connectionStages orders a connection's flows and names each stage. */
export function connectionStages(items: Item[]): Stage[] {
  const fs = items.map((i) => i.flow).filter((f): f is Flow => !!f).sort((a, b) => timeNs(a.time) - timeNs(b.time));
  if (!fs.length) return [];
  const t0 = timeNs(fs[0].time);
  // The client's port tells the client's leg from the proxy's upstream leg.
  const clientPort = (f: Flow) => (f.isReply ? ports(f).dport : ports(f).sport);
  const first = fs.find((f) => !f.isReply) || fs[0];
  return fs.map((f) => {
    const upstream = clientPort(f) !== clientPort(first);
    const what = point(f) || (f.eventType === 'L7' ? 'l7 ' + (f.l7?.type || '').toLowerCase() : (f.eventType || '').toLowerCase());
    return { flow: f, offsetMs: (timeNs(f.time) - t0) / 1e6, upstream, label: (upstream ? 'upstream ' : '') + (f.isReply ? 'reply ' : '') + what };
  });
}

export function renderConnection(items: Item[]): HTMLElement {
  const stages = connectionStages(items);
  if (!stages.length) return h('p', { class: 'hint' }, 'No flows of this connection in the window.');
  const total = Math.max(0.001, stages[stages.length - 1].offsetMs);
  const list = h('ol', { class: 'stages', 'data-testid': 'connection-stages' });
  for (const s of stages) {
    const f = s.flow;
    const pct = Math.min(100, (s.offsetMs / total) * 100);
    list.append(h('li', { class: 'stage verdict-' + (f.verdict || '').toLowerCase(), 'data-point': point(f), 'data-reply': f.isReply ? 'true' : 'false', 'data-leg': s.upstream ? 'upstream' : 'client' },
      h('span', { class: 'stage-time' }, '+' + s.offsetMs.toFixed(3) + ' ms'),
      h('span', { class: 'stage-name' }, s.label),
      h('span', { class: 'stage-what' }, `${endpointName(f.source, f.sourceNames)} ${f.isReply ? '←' : '→'} ${endpointName(f.destination, f.destinationNames)} ${f.verdict || ''} ${tcpFlags(f)} ${f.eventType === 'TRACE' ? '' : f.eventType || ''} [${f.nodeName || ''}]`),
      h('progress', { max: 100, value: pct.toFixed(1) })));
  }
  const note = stages.some((s) => s.upstream) ? ' (through the node\'s proxy: its upstream connection is matched by time)' : '';
  return h('div', {}, h('p', {}, `${stages.length} observations over ${total.toFixed(3)} ms${note}`), list);
}

export interface Span {
  key: string; parent?: string; depth: number;
  from: string; to: string; what: string; code?: number;
  startNs: number; endNs: number; flows: Flow[];
}

/** spansOf groups a trace's L7 flows by span: a request and its response. */
export function spansOf(items: Item[]): Span[] {
  const fs = items.map((i) => i.flow).filter((f): f is Flow => !!f && !!f.l7).sort((a, b) => timeNs(a.time) - timeNs(b.time));
  const byKey = new Map<string, Span>();
  for (const f of fs) {
    const tc = f.traceContext || {};
    const reqSide = f.l7!.type === 'RESPONSE' ? [f.destination, f.source] : [f.source, f.destination];
    const from = endpointName(reqSide[0]), to = endpointName(reqSide[1]);
    const http = f.l7!.http;
    const key = tc.spanId || `${from}>${to} ${http?.method || ''} ${http?.url || ''}`;
    let s = byKey.get(key);
    const t = timeNs(f.time);
    if (!s) {
      s = { key, parent: tc.parentSpanId || undefined, depth: 0, from, to, what: l7Summary(f), startNs: t, endNs: t, flows: [] };
      byKey.set(key, s);
    }
    s.flows.push(f);
    if (f.l7!.type === 'RESPONSE') {
      if (http?.code) s.code = http.code;
      const lat = Number(f.l7!.latencyNs || 0);
      s.endNs = Math.max(s.endNs, t);
      if (lat && s.startNs === t) s.startNs = t - lat;
      s.what = l7Summary({ ...f, l7: { ...f.l7!, type: 'REQUEST', http: { ...http, code: 0 } } }) + (http?.code ? ' → ' + http.code : '');
    } else {
      s.startNs = Math.min(s.startNs, t);
    }
  }
  const spans = [...byKey.values()];
  for (const s of spans) {
    let d = 0, p = s.parent;
    const seen = new Set<string>();
    while (p && byKey.has(p) && !seen.has(p) && d < 32) { seen.add(p); d++; p = byKey.get(p)!.parent; }
    s.depth = d;
  }
  return spans.sort((a, b) => a.startNs - b.startNs);
}

export function renderWaterfall(traceId: string, items: Item[]): HTMLElement {
  const spans = spansOf(items);
  if (!spans.length) return h('p', { class: 'hint' }, `No L7 flows of trace ${traceId} in the window.`);
  const t0 = Math.min(...spans.map((s) => s.startNs));
  const t1 = Math.max(...spans.map((s) => s.endNs));
  const total = Math.max(1, t1 - t0);
  const rows = h('div', { class: 'waterfall', 'data-testid': 'waterfall' });
  for (const s of spans) {
    const bar = h('div', { class: 'bar' + (s.code && s.code >= 500 ? ' error' : '') });
    bar.style.marginLeft = ((s.startNs - t0) / total) * 100 + '%';
    bar.style.width = Math.max(0.5, ((s.endNs - s.startNs) / total) * 100) + '%';
    const name = h('div', { class: 'span-name' }, `${s.from} → ${s.to}`);
    name.style.paddingLeft = s.depth * 12 + 'px';
    rows.append(h('div', { class: 'span', 'data-span': s.key },
      name, h('div', { class: 'span-what' }, s.what),
      h('div', { class: 'span-bar' }, bar),
      h('div', { class: 'span-time' }, ((s.endNs - s.startNs) / 1e6).toFixed(2) + ' ms')));
  }
  return h('div', {}, h('p', {}, `trace ${traceId}: ${spans.length} requests over ${(total / 1e6).toFixed(2)} ms`), rows);
}
