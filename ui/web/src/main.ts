// The app: header (time range, filter, status), the service map, the flow
// table and the side panel, wired to the live stream and the history API.
import { flows, getJSON } from './api';
import { h } from './dom';
import { EndpointInfo, GEdge, Graph, graphFromHistory, HistEdge } from './graph';
import { LiveStream } from './live';
import { ServiceMap } from './map';
import { endpointName, Flow, Item, ports } from './model';
import { quote, SidePanel } from './panels';
import { PolicyView, renderPolicy } from './policy';
import { COLUMNS, FlowTable } from './table';
import { renderConnection, renderWaterfall } from './trace';

const RANGES: [string, number][] = [['live', 0], ['last 5 min', 300], ['last 15 min', 900], ['last 1 h', 3600], ['last 6 h', 21600], ['last 24 h', 86400], ['from … to …', -1]];
const CUSTOM = -1;
const EDGE_TTL_MS = 15 * 60 * 1000;

const params = new URLSearchParams(location.search);
let range = Number(params.get('range') || 0) || 0;
/** localInput is a time as a datetime-local input shows it. */
const localInput = (ms: number) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 19); };
let graph = new Graph();
let flowCount = 0;
let lastSub = '';
let paused = false;
let lastCount = 0;

const el = {
  range: h('select', { 'data-testid': 'range', title: 'Time range' }, ...RANGES.map(([label, sec]) => h('option', { value: sec, selected: sec === range }, label))),
  from: h('input', { type: 'datetime-local', step: 1, 'data-testid': 'from', title: 'From (local time)', value: params.get('from') ? localInput(Date.parse(params.get('from')!)) : localInput(Date.now() - 3600000) }),
  to: h('input', { type: 'datetime-local', step: 1, 'data-testid': 'to', title: 'To (local time)', value: params.get('to') ? localInput(Date.parse(params.get('to')!)) : localInput(Date.now()) }),
  filter: h('input', { type: 'search', 'data-testid': 'filter', placeholder: 'from:label=app=frontend to:port=8080 !protocol=udp', spellcheck: 'false', value: params.get('filter') || '' }),
  verdict: h('select', { 'data-testid': 'verdict', title: 'Verdict' }, ...['', 'FORWARDED', 'DROPPED', 'AUDIT', 'ERROR', 'REDIRECTED'].map((v) => h('option', { value: v }, v || 'any verdict'))),
  status: h('select', { 'data-testid': 'http-status', title: 'HTTP status' }, ...['', '2+', '3+', '4+', '5+'].map((v) => h('option', { value: v }, v ? 'HTTP ' + v.replace('+', 'xx') : 'any HTTP status'))),
  filterError: h('div', { class: 'filter-error', 'data-testid': 'filter-error', role: 'alert' }),
  state: h('span', { class: 'state', 'data-testid': 'state' }, 'starting'),
  counts: h('span', { class: 'counts', 'data-testid': 'counts' }),
  lost: h('span', { class: 'lost-badge', 'data-testid': 'lost', title: 'Events lost on the way (kernel ring, flow ring, relay, UI rate limit): shown as rows in the table' }),
  scope: h('span', { class: 'scope' }),
  pause: h('button', { type: 'button', 'data-testid': 'pause', title: 'Pause the live stream (the map and the table stay as they are)' }, 'Pause'),
  columns: h('div', { class: 'column-chooser', hidden: true }),
};

const panel = new SidePanel({
  addFilter(term) { el.filter.value = (el.filter.value.trim() + ' ' + term).trim(); void apply(); },
  traceConnection, traceRequest,
  policyOf: showPolicy,
  flowsOfEdge(e) { scopeToEdge(e, true); },
});
const map = new ServiceMap({
  edge(e) { panel.edge(e); scopeToEdge(e, false); },
  node(n) { panel.node(n); },
});
const table = new FlowTable((r) => panel.flow(r));
const live = new LiveStream({
  items(items) { onItems(items); },
  state(st, detail) {
    el.state.textContent = st + (detail ? ': ' + detail : '');
    el.state.className = 'state ' + st;
    if (st === 'error' && detail && !detail.startsWith('stream closed') && !detail.startsWith('relay')) el.filterError.textContent = detail;
  },
  subscribed(f) { lastSub = f; el.filterError.textContent = ''; },
});

for (const c of COLUMNS) {
  el.columns.append(h('label', {}, h('input', { type: 'checkbox', checked: c.on, 'data-col': c.id, onchange: (ev) => table.setColumn(c.id, (ev.target as HTMLInputElement).checked) }), ' ' + c.title));
}

function filterText(): string {
  const parts = [el.filter.value.trim()];
  if (el.verdict.value) parts.push('verdict=' + el.verdict.value);
  if (el.status.value) parts.push('http-status=' + el.status.value);
  return parts.filter(Boolean).join(' ');
}

function windowOf(): { since: string; until: string } {
  if (range === CUSTOM) {
    // datetime-local values are local times without a zone: Date reads them so.
    const since = new Date(el.from.value), until = new Date(el.to.value);
    if (!isNaN(since.getTime()) && !isNaN(until.getTime())) return { since: since.toISOString(), until: until.toISOString() };
  }
  const now = Date.now();
  return { since: new Date(now - (range > 0 ? range : 900) * 1000).toISOString(), until: new Date(now).toISOString() };
}

/** seconds is how long the window is. */
function seconds(): number {
  const w = windowOf();
  return Math.max(1, (Date.parse(w.until) - Date.parse(w.since)) / 1000);
}

/** apply checks the filter, then restarts the map and the table with it;
 *  a filter that does not parse changes nothing. */
async function apply(): Promise<void> {
  try {
    if (filterText()) await getJSON('/api/v1/filter', { filter: filterText() });
  } catch (err) {
    el.filterError.textContent = (err as Error).message;
    return;
  }
  el.filterError.textContent = '';
  const q = new URLSearchParams();
  if (range) q.set('range', String(range));
  if (range === CUSTOM) { const w = windowOf(); q.set('from', w.since); q.set('to', w.until); }
  el.from.hidden = el.to.hidden = range !== CUSTOM;
  if (el.filter.value.trim()) q.set('filter', el.filter.value.trim());
  history.replaceState(null, '', location.pathname + (q.size ? '?' + q : ''));
  table.setScope(undefined);
  el.scope.textContent = '';
  graph = new Graph();
  mapTopology = -1;
  table.reset();
  flowCount = 0;
  lastCount = 0;
  paused = false;
  el.pause.textContent = 'Pause';
  el.pause.hidden = range !== 0;
  if (!range) {
    historySeq++; // a history answer still on its way is not wanted now
    document.body.dataset.mode = 'live';
    live.start(filterText());
    loadEndpoints();
    map.show(graph);
  } else {
    document.body.dataset.mode = 'history';
    live.stop();
    loadHistory();
  }
}

function onItems(items: Item[]): void {
  table.add(items);
  for (const it of items) if (it.flow) { graph.addFlow(it.flow); flowCount++; }
  scheduleMap();
}

// A new node or edge is laid out soon; counts and colours are redrawn by
// the once-a-second tick.
let mapTimer = 0;
let mapTopology = -1;
function scheduleMap(): void {
  if (mapTimer || graph.topology === mapTopology) return;
  mapTimer = window.setTimeout(() => { mapTimer = 0; mapTopology = graph.topology; map.show(graph); }, 300);
}

async function loadEndpoints(): Promise<void> {
  try {
    const r = await getJSON<{ endpoints?: EndpointInfo[] }>('/api/v1/endpoints');
    // History shows what happened; today's endpoints only annotate it.
    graph.addEndpoints(r.endpoints || [], range !== 0);
    map.show(graph);
  } catch { /* no agent configured: the map is built from flows alone */ }
}

let historySeq = 0;

/** loadHistory fills the map and the table for the window; an answer to a
 *  request that a newer one replaced is dropped. */
async function loadHistory(): Promise<void> {
  const seq = ++historySeq;
  const w = windowOf();
  document.body.dataset.loaded = 'loading';
  el.state.textContent = 'history: loading';
  el.state.className = 'state history';
  const [m, f] = await Promise.allSettled([
    getJSON<{ edges: HistEdge[]; truncated: boolean }>('/api/v1/query/service-map', { since: w.since, until: w.until, limit: 10000 }),
    flows({ filter: filterText(), since: w.since, until: w.until, limit: 2000 }),
  ]);
  if (seq !== historySeq) return;
  if (m.status === 'fulfilled') { graph = graphFromHistory(m.value.edges || [], seconds()); map.show(graph); void loadEndpoints(); }
  if (f.status === 'fulfilled') table.reset(f.value.items);
  const errs = [m, f].filter((x): x is PromiseRejectedResult => x.status === 'rejected').map((x) => String(x.reason?.message || x.reason));
  el.filterError.textContent = errs.join('; ');
  const label = range === CUSTOM ? `${new Date(w.since).toLocaleString()} to ${new Date(w.until).toLocaleString()}` : RANGES.find(([, s]) => s === range)?.[0] || range + ' s';
  el.state.textContent = `history: ${label}` +
    (m.status === 'fulfilled' ? `, ${m.value.edges?.length || 0} edges from ClickHouse` : '') +
    (f.status === 'fulfilled' ? `, ${f.value.items.length} records${f.value.truncated ? ' (newest 2000)' : ''}` : '');
  el.state.className = 'state history' + (errs.length ? ' error' : '');
  updateCounts();
  document.body.dataset.loaded = 'history';
}

function edgeMatch(e: GEdge): (f: Flow) => boolean {
  return (f) => {
    const p = ports(f);
    if (p.proto !== e.proto) return false;
    const s = endpointName(f.source, f.sourceNames), d = endpointName(f.destination, f.destinationNames);
    return f.isReply ? s === e.dst && d === e.src && (p.sport || 0) === e.port : s === e.src && d === e.dst && (p.dport || 0) === e.port;
  };
}

function scopeToEdge(e: GEdge, query: boolean): void {
  table.setScope(edgeMatch(e));
  el.scope.textContent = '';
  el.scope.append(h('span', { class: 'chip', 'data-testid': 'edge-scope' }, `edge ${e.src} → ${e.dst} ${e.proto}${e.port ? '/' + e.port : ''}`),
    h('button', { type: 'button', class: 'link', title: 'Show all flows', onclick: () => { table.setScope(undefined); el.scope.textContent = ''; } }, '×'));
  if (query && range && e.src.includes('/') && e.dst.includes('/')) {
    const w = windowOf();
    const f = [filterText(), `from:workload=${quote(e.src)}`, `to:workload=${quote(e.dst)}`, e.port ? `to:port=${e.port}` : ''].filter(Boolean).join(' ');
    flows({ filter: f, since: w.since, until: w.until, limit: 2000 }).then((r) => table.reset(r.items), (err) => { el.filterError.textContent = String(err.message); });
  }
}

async function traceConnection(f: Flow): Promise<void> {
  const p = ports(f);
  const body = panel.open('Connection trace', h('p', { class: 'hint' }, 'loading…'));
  try {
    const r = await getJSON<{ items: Item[] }>('/api/v1/trace/connection', {
      protocol: p.proto.toLowerCase(), src_ip: f.ip?.source, src_port: p.sport, dst_ip: f.ip?.destination, dst_port: p.dport, at: f.time,
    });
    body.replaceChildren(renderConnection(r.items));
  } catch (err) {
    body.replaceChildren(h('p', { class: 'error' }, String((err as Error).message)));
  }
}

async function traceRequest(traceId: string, f: Flow): Promise<void> {
  const body = panel.open('Request trace', h('p', { class: 'hint' }, 'loading…'));
  const t = Date.parse(f.time || '') || Date.now();
  try {
    const r = await flows({ filter: 'trace-id=' + traceId, since: new Date(t - 600000).toISOString(), until: new Date(t + 600000).toISOString(), limit: 5000, first: 'true' });
    body.replaceChildren(renderWaterfall(traceId, r.items));
  } catch (err) {
    body.replaceChildren(h('p', { class: 'error' }, String((err as Error).message)));
  }
}

async function showPolicy(namespace: string, workload: string): Promise<void> {
  const body = panel.open(`Policies of ${namespace}/${workload}`, h('p', { class: 'hint' }, 'loading…'));
  try {
    const w = windowOf();
    const v = await getJSON<PolicyView>('/api/v1/policy', { namespace, workload, since: w.since, until: w.until });
    body.replaceChildren(renderPolicy(v));
  } catch (err) {
    body.replaceChildren(h('p', { class: 'error' }, String((err as Error).message)));
  }
}

async function refreshStatus(): Promise<void> {
  try {
    const s = await getJSON<{ numConnectedNodes?: number; numUnavailableNodes?: number; flowsRate?: number; numFlows?: string }>('/api/v1/status');
    el.counts.dataset.nodes = String(s.numConnectedNodes ?? 1);
    el.counts.title = `${s.numConnectedNodes ?? 1} nodes connected, ${s.numUnavailableNodes ?? 0} unavailable; ${(s.flowsRate || 0).toFixed(1)} flows/s cluster-wide`;
  } catch { /* shown by the stream state */ }
}

setInterval(() => {
  if (!range) {
    graph.tick(1);
    graph.expire(Date.now(), EDGE_TTL_MS);
    map.show(graph);
  }
  const rate = flowCount - lastCount;
  lastCount = flowCount;
  updateCounts(rate);
}, 1000);

function updateCounts(rate = 0): void {
  el.counts.textContent = (range ? '' : `${rate} flows/s · `) + `${table.rowCount} rows`;
  el.lost.textContent = table.lost ? `lost ${table.lost}` : '';
  el.lost.classList.toggle('has-lost', table.lost > 0);
}
setInterval(() => { if (!range) loadEndpoints(); refreshStatus(); }, 10000);

el.filter.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') void apply(); });
// Pausing unsubscribes; resuming subscribes again, with the recent past.
el.pause.addEventListener('click', () => {
  if (range) return;
  paused = !paused;
  el.pause.textContent = paused ? 'Resume' : 'Pause';
  if (paused) live.stop(); else void apply();
});
// "/" goes to the filter, as in Grafana and Hubble.
document.addEventListener('keydown', (ev) => {
  const t = ev.target as HTMLElement;
  if (ev.key === '/' && t.tagName !== 'INPUT' && t.tagName !== 'SELECT') { ev.preventDefault(); el.filter.focus(); }
});
el.verdict.addEventListener('change', () => void apply());
el.status.addEventListener('change', () => void apply());
el.range.addEventListener('change', () => { range = Number(el.range.value); void apply(); });
el.from.addEventListener('change', () => void apply());
el.to.addEventListener('change', () => void apply());

document.body.append(
  h('header', {},
    h('h1', {}, 'loupe'), el.range, el.from, el.to,
    h('div', { class: 'filterbox' }, el.filter, el.filterError),
    el.verdict, el.status,
    h('button', { type: 'button', 'data-testid': 'apply', onclick: () => void apply() }, 'Apply'), el.pause,
    el.state, el.counts, el.lost),
  h('main', {}, map.el, panel.el),
  h('section', { class: 'flows' },
    h('div', { class: 'toolbar' }, h('strong', {}, 'Flows'), el.scope,
      h('button', { type: 'button', 'data-testid': 'columns', onclick: () => { el.columns.hidden = !el.columns.hidden; } }, 'Columns'), el.columns),
    table.el));

// For the browser tests and the measurements.
(window as unknown as { __loupe: unknown }).__loupe = {
  map: map.stats,
  table: () => ({ rows: table.size, lost: table.lost }),
  subscribed: () => lastSub,
};
void apply();
refreshStatus();
