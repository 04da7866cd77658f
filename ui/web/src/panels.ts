// The side panel: details of a flow, an edge or a workload.
import { clear, h } from './dom';
import { GEdge, GNode } from './graph';
import { edgeTitle } from './map';
import { endpointName, Flow, fmtCount, fmtRate, l7Summary, point, ports, Row, tcpFlags, timeMs } from './model';
import { lostText } from './table';

export interface PanelActions {
  addFilter(term: string): void;
  traceConnection(f: Flow): void;
  traceRequest(traceId: string, f: Flow): void;
  policyOf(namespace: string, workload: string): void;
  flowsOfEdge(e: GEdge): void;
}

export class SidePanel {
  readonly el: HTMLElement;
  private title: HTMLElement;
  private body: HTMLElement;

  constructor(private act: PanelActions) {
    this.title = h('h2', {}, 'Details');
    this.body = h('div', { class: 'panel-body' }, h('p', { class: 'hint' }, 'Click a flow, an edge or a workload.'));
    this.el = h('aside', { class: 'panel', 'data-testid': 'panel' }, this.title, this.body);
  }

  open(title: string, ...content: (Node | string)[]): HTMLElement {
    this.title.textContent = title;
    clear(this.body);
    this.body.append(...content);
    return this.body;
  }

  flow(r: Row): void {
    const f = r.item.flow;
    if (!f) { this.open('Event', h('p', {}, lostText(r.item))); return; }
    const p = ports(f);
    const rows: [string, Node | string][] = [
      ['time', new Date(timeMs(f.time)).toISOString()],
      ['node', f.nodeName || ''],
      ['verdict', f.verdict + (f.verdict === 'DROPPED' && f.dropReason ? ' (' + f.dropReason + ')' : '')],
      ['type', (f.eventType || '') + ' ' + point(f) + (f.traceReason ? ' (' + f.traceReason + ')' : '')],
      ['direction', (f.trafficDirection || '') + (f.isReply ? ', reply' : '')],
      ['source', this.endpoint(f, 'from')],
      ['destination', this.endpoint(f, 'to')],
      ['IP', `${f.ip?.source || ''} → ${f.ip?.destination || ''} ${f.ip?.ipVersion || ''}`],
      ['L4', p.proto + (p.sport ? ` ${p.sport} → ${p.dport}` : '') + (tcpFlags(f) ? ' flags ' + tcpFlags(f) : '')],
    ];
    if (f.policyNames?.length) rows.push(['policies', (f.policyMatchType || '') + ' ' + f.policyNames.join(', ')]);
    if (f.l7) rows.push(['L7', l7Summary(f) + (f.l7.type ? ' (' + f.l7.type + ')' : '')]);
    if (f.l7?.http?.headers?.length) rows.push(['headers', h('ul', { class: 'plain' }, ...f.l7.http.headers.map((x) => h('li', {}, `${x.key}: ${x.value}`)))]);
    if (f.l7?.dns) rows.push(['DNS', `${f.l7.dns.query || ''} → ${(f.l7.dns.ips || []).join(', ')} ttl ${f.l7.dns.ttl ?? ''}`]);
    if (f.traceContext?.traceId) rows.push(['trace', `${f.traceContext.traceId} span ${f.traceContext.spanId || ''} parent ${f.traceContext.parentSpanId || ''}`]);
    if (f.packets || f.bytes) rows.push(['counters', `${f.packets || 0} packets, ${f.bytes || 0} bytes`]);
    if (f.interfaceName) rows.push(['interface', f.interfaceName]);
    const actions = h('div', { class: 'actions' });
    if (p.proto && f.ip?.source) actions.append(h('button', { type: 'button', 'data-testid': 'trace-connection', onclick: () => this.act.traceConnection(f) }, 'Trace connection'));
    if (f.traceContext?.traceId) actions.append(h('button', { type: 'button', 'data-testid': 'trace-request', onclick: () => this.act.traceRequest(f.traceContext!.traceId!, f) }, 'Trace request'));
    for (const [side, e] of [['source', f.source], ['destination', f.destination]] as const) {
      if (e?.workload && e.namespace) actions.append(h('button', { type: 'button', onclick: () => this.act.policyOf(e.namespace!, e.workload!) }, 'Policies of ' + side));
    }
    this.open('Flow', kv(rows), actions);
  }

  private endpoint(f: Flow, side: 'from' | 'to'): Node {
    const e = side === 'from' ? f.source : f.destination;
    const names = side === 'from' ? f.sourceNames : f.destinationNames;
    const box = h('div', {}, h('div', {}, endpointName(e, names) + (e?.identity !== undefined ? ` (ID ${e.identity})` : '')));
    const chips = h('div', { class: 'chips' });
    for (const l of e?.labels || []) {
      chips.append(h('button', { type: 'button', class: 'chip', title: 'Filter on this label', onclick: () => this.act.addFilter(`${side}:label=${quote(l)}`) }, l));
    }
    if (e?.workload) chips.append(h('button', { type: 'button', class: 'chip', title: 'Filter on this workload', onclick: () => this.act.addFilter(`${side}:workload=${quote((e.namespace ? e.namespace + '/' : '') + e.workload)}`) }, 'workload'));
    for (const n of names || []) chips.append(h('button', { type: 'button', class: 'chip', onclick: () => this.act.addFilter(`${side}:fqdn=${quote(n)}`) }, n));
    box.append(chips);
    return box;
  }

  edge(e: GEdge): void {
    const rows: [string, Node | string][] = [
      ['from', e.src], ['to', e.dst], ['protocol', e.proto + (e.port ? '/' + e.port : '')],
      ['flows', `${fmtCount(e.flows)} (${fmtRate(e.rate)})`],
      ['verdicts', `forwarded ${e.forwarded} · dropped ${e.dropped} · audit ${e.audit} · error ${e.error}`],
    ];
    if (e.methods.size) rows.push(['HTTP', [...e.methods].join(', ')]);
    if (e.paths.size) rows.push(['paths', h('ul', { class: 'plain' }, ...[...e.paths].map((x) => h('li', {}, x)))]);
    if (e.statuses.size) rows.push(['status', [...e.statuses].map(([c, n]) => `${c}: ${n}`).join(', ')]);
    if (e.dnsNames.size) rows.push(['DNS', h('ul', { class: 'plain' }, ...[...e.dnsNames].map((x) => h('li', {}, x)))]);
    this.open('Edge', kv(rows), h('pre', { class: 'small' }, edgeTitle(e)),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => this.act.flowsOfEdge(e) }, 'Flows of this edge')));
  }

  node(n: GNode): void {
    const rows: [string, Node | string][] = [['name', n.id], ['kind', n.kind]];
    if (n.identity !== undefined) rows.push(['identity', String(n.identity)]);
    if (n.ingress || n.egress) rows.push(['enforcement', `ingress ${n.ingress || '?'}, egress ${n.egress || '?'}`]);
    rows.push(['traffic', `in ${fmtCount(n.flowsIn)} (dropped ${n.droppedIn}), out ${fmtCount(n.flowsOut)} (dropped ${n.droppedOut})`]);
    const chips = h('div', { class: 'chips' });
    for (const l of n.labels || []) chips.append(h('button', { type: 'button', class: 'chip', onclick: () => this.act.addFilter(`label=${quote(l)}`) }, l));
    rows.push(['labels', chips]);
    const actions = h('div', { class: 'actions' });
    if (n.kind === 'workload' && n.group) {
      actions.append(h('button', { type: 'button', 'data-testid': 'policy-view', onclick: () => this.act.policyOf(n.group, n.label) }, 'Policies and drops'));
      actions.append(h('button', { type: 'button', onclick: () => this.act.addFilter(`workload=${quote(n.id)}`) }, 'Filter flows'));
    }
    this.open('Workload', kv(rows), actions);
  }
}

export function kv(rows: [string, Node | string][]): HTMLElement {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of rows) dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

/** quote wraps a value with spaces in the filter language's quotes. */
export function quote(v: string): string {
  return /[\s"]/.test(v) ? '"' + v.replace(/"/g, '') + '"' : v;
}

