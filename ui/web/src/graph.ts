// The service map's model: services and the edges between them, fed by
// live flows or built from a historical service map (ClickHouse rollups).
import { endpointName, Flow, ports, timeMs } from './model';

export const OUTSIDE = '(outside)';

export interface GNode {
  id: string; group: string; label: string;
  kind: 'workload' | 'world' | 'host' | 'dns';
  identity?: number; labels?: string[];
  ingress?: string; egress?: string; // policy enforcement per direction
  flowsIn: number; flowsOut: number; droppedIn: number; droppedOut: number;
}

export interface GEdge {
  id: string; src: string; dst: string; proto: string; port: number;
  flows: number; bytes: number; forwarded: number; dropped: number; audit: number; error: number; redirected: number;
  rate: number; pending: number; lastSeen: number;
  methods: Set<string>; paths: Set<string>; dnsNames: Set<string>; statuses: Map<string, number>;
}

const MAX_L7_VALUES = 12;
const MAX_EDGES = 5000;
const MAX_NODES = 2000;

export interface EndpointInfo {
  namespace?: string; workload?: string; identity?: number; labels?: Record<string, string>;
  policyIngress?: string; policyEgress?: string;
}

export class Graph {
  nodes = new Map<string, GNode>();
  edges = new Map<string, GEdge>();
  /** Bumped when a node or edge appears or goes: the layout's key. */
  topology = 0;
  overflow = 0;

  clear(): void {
    this.nodes.clear();
    this.edges.clear();
    this.topology++;
  }

  node(id: string, group: string, kind: GNode['kind'], label: string): GNode | undefined {
    let n = this.nodes.get(id);
    if (!n) {
      if (this.nodes.size >= MAX_NODES) { this.overflow++; return undefined; }
      n = { id, group, kind, label, flowsIn: 0, flowsOut: 0, droppedIn: 0, droppedOut: 0 };
      this.nodes.set(id, n);
      this.topology++;
    }
    return n;
  }

  /** Adds the agent's workloads, so that quiet ones are on the map too. */
  addEndpoints(eps: EndpointInfo[], onlyKnown = false): void {
    for (const e of eps) {
      if (!e.workload) continue;
      const id = (e.namespace ? e.namespace + '/' : '') + e.workload;
      const n = onlyKnown ? this.nodes.get(id) : this.node(id, e.namespace || OUTSIDE, 'workload', e.workload);
      if (!n) continue;
      n.identity = e.identity;
      n.labels = Object.entries(e.labels || {}).map(([k, v]) => k + '=' + v).sort();
      n.ingress = e.policyIngress;
      n.egress = e.policyEgress;
    }
  }

  private peer(ep: Flow['source'], names: string[] | undefined): GNode | undefined {
    const id = endpointName(ep, names);
    if (ep?.workload) {
      const n = this.node(id, ep.namespace || OUTSIDE, 'workload', ep.workload);
      if (n && n.identity === undefined) { n.identity = ep.identity; n.labels = ep.labels; }
      return n;
    }
    const kind = id === 'host' ? 'host' : id === 'world' ? 'world' : 'dns';
    return this.node(id, OUTSIDE, kind, id);
  }

  /** Counts one live flow as the history's rollup does: replies and L7
   *  events are not counted (L7 only feeds the edge's summary). */
  addFlow(f: Flow): void {
    // A reply travels server to client: the edge points the other way.
    const [se, sn, de, dn] = f.isReply
      ? [f.destination, f.destinationNames, f.source, f.sourceNames]
      : [f.source, f.sourceNames, f.destination, f.destinationNames];
    const src = this.peer(se, sn), dst = this.peer(de, dn);
    if (!src || !dst) return;
    const p = ports(f);
    const port = (f.isReply ? p.sport : p.dport) || 0;
    const e = this.edge(src.id, dst.id, p.proto, port);
    if (!e) return;
    e.lastSeen = Math.max(e.lastSeen, timeMs(f.time) || Date.now());
    if (f.eventType === 'L7' && f.l7) {
      const l7 = f.l7;
      if (l7.http) {
        addCapped(e.methods, l7.http.method);
        addCapped(e.paths, l7.http.url ? pathOf(l7.http.url) : undefined);
        if (l7.type === 'RESPONSE' && l7.http.code) {
          const c = String(l7.http.code);
          e.statuses.set(c, (e.statuses.get(c) || 0) + 1);
        }
      }
      if (l7.dns) addCapped(e.dnsNames, l7.dns.query);
      return;
    }
    if (f.isReply) return;
    e.flows++;
    e.pending++;
    e.bytes += Number(f.bytes || 0);
    switch (f.verdict) {
      case 'FORWARDED': e.forwarded++; break;
      case 'DROPPED': e.dropped++; src.droppedOut++; dst.droppedIn++; break;
      case 'AUDIT': e.audit++; break;
      case 'ERROR': e.error++; break;
      case 'REDIRECTED': e.redirected++; break;
    }
    src.flowsOut++;
    dst.flowsIn++;
  }

  edge(src: string, dst: string, proto: string, port: number): GEdge | undefined {
    const id = `${src}|${dst}|${proto}|${port}`;
    let e = this.edges.get(id);
    if (!e) {
      if (this.edges.size >= MAX_EDGES) { this.overflow++; return undefined; }
      e = {
        id, src, dst, proto, port, flows: 0, bytes: 0, forwarded: 0, dropped: 0, audit: 0, error: 0, redirected: 0,
        rate: 0, pending: 0, lastSeen: 0, methods: new Set(), paths: new Set(), dnsNames: new Set(), statuses: new Map(),
      };
      this.edges.set(id, e);
      this.topology++;
    }
    return e;
  }

  /** Once a second: rates as a moving average of the last seconds. */
  tick(seconds: number): void {
    for (const e of this.edges.values()) {
      e.rate = e.rate * 0.6 + (e.pending / seconds) * 0.4;
      e.pending = 0;
    }
  }

  /** Forgets edges quiet for longer than ms (live mode stays bounded). */
  expire(now: number, ms: number): void {
    for (const [id, e] of this.edges) {
      if (e.lastSeen && now - e.lastSeen > ms) { this.edges.delete(id); this.topology++; }
    }
  }
}

function addCapped(set: Set<string>, v: string | undefined): void {
  if (v && set.size < MAX_L7_VALUES) set.add(v);
}

function pathOf(url: string): string {
  try { return new URL(url, 'http://x').pathname; } catch { return url; }
}

/** The historical service map of the query API (query/incident). */
export interface HistEdge {
  src_namespace: string; src_service: string; dst_namespace: string; dst_service: string;
  protocol: string; port: number; flows: number; bytes: number; packets: number;
  forwarded: number; dropped: number; audit: number; redirected: number; error: number;
}

export function graphFromHistory(edges: HistEdge[], seconds: number): Graph {
  const g = new Graph();
  const nodeOf = (ns: string, svc: string) => {
    if (ns) return g.node(ns + '/' + svc, ns, 'workload', svc);
    // The rollups name reserved identities by label; live flows by kind.
    const name = svc.replace(/^reserved:/, '');
    const kind = name === 'host' ? 'host' : name === 'world' ? 'world' : 'dns';
    return g.node(name, OUTSIDE, kind, name);
  };
  for (const h of edges) {
    const s = nodeOf(h.src_namespace, h.src_service), d = nodeOf(h.dst_namespace, h.dst_service);
    if (!s || !d) continue;
    const e = g.edge(s.id, d.id, (h.protocol || '').toUpperCase(), h.port);
    if (!e) continue;
    e.flows += h.flows; e.bytes += h.bytes; e.forwarded += h.forwarded; e.dropped += h.dropped;
    e.audit += h.audit; e.redirected += h.redirected; e.error += h.error;
    e.rate = e.flows / Math.max(1, seconds);
    s.flowsOut += h.flows; d.flowsIn += h.flows; s.droppedOut += h.dropped; d.droppedIn += h.dropped;
  }
  return g;
}
