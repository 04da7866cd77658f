// The service map: SVG, laid out by the worker, redrawn in place.
import { h, s, setText } from './dom';
import { GEdge, GNode, Graph, OUTSIDE } from './graph';
import { Box, LayoutInput, LayoutResult } from './layout';
import { fmtCount, fmtRate } from './model';

const NODE_W = 190, NODE_H = 58, GROUP_NODE_H = 40;
const LABEL_LIMIT = 400; // edge labels are drawn for maps up to this size

export interface MapEvents {
  edge(e: GEdge): void;
  node(n: GNode): void;
}

export interface MapStats { postedMs: number; receivedMs: number; maxRenderMs: number; renders: number; layouts: number; firstRenderMs: number; stableMs: number; lastLayoutMs: number; state: string }

export class ServiceMap {
  readonly el: HTMLElement;
  private svg: SVGSVGElement;
  private viewport: SVGElement;
  private gGroups: SVGElement;
  private gEdges: SVGElement;
  private gNodes: SVGElement;
  private worker: Worker;
  private graph = new Graph();
  private laidOut?: LayoutResult;
  private layoutKey = '';
  private seq = 0;
  private pending = false;
  private collapsed = new Set<string>();
  private prevOrder: Record<string, number> = {};
  private zoom = { x: 20, y: 20, k: 1 };
  private selected = '';
  private userMoved = false;
  private topoSeen = -1;
  private foldChanged = false;
  private groupEls = new Map<string, SVGElement>();
  private edgeEls = new Map<string, SVGElement>();
  private labelEls = new Map<string, SVGElement>();
  private nodeEls = new Map<string, SVGElement>();
  private current = new Map<string, GEdge>();
  private nodeNow = new Map<string, GNode>();
  readonly stats: MapStats = { postedMs: 0, receivedMs: 0, maxRenderMs: 0, renders: 0, layouts: 0, firstRenderMs: 0, stableMs: 0, lastLayoutMs: 0, state: 'empty' };

  constructor(private events: MapEvents) {
    this.svg = s('svg', { class: 'map-svg', 'data-testid': 'map' }) as SVGSVGElement;
    this.viewport = s('g', { class: 'viewport' });
    this.gGroups = s('g', { class: 'groups' });
    this.gEdges = s('g', { class: 'edges' });
    this.gNodes = s('g', { class: 'nodes' });
    const defs = s('defs', {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' })),
      s('marker', { id: 'arrow-drop', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead dropped' })));
    this.viewport.append(this.gGroups, this.gEdges, this.gNodes);
    this.svg.append(defs, this.viewport);
    this.el = h('div', { class: 'map' }, this.svg,
      h('div', { class: 'map-tools' },
        h('button', { type: 'button', title: 'Fit to view, and keep fitting as the map grows', onclick: () => { this.userMoved = false; this.fit(); } }, 'fit'),
        h('button', { type: 'button', title: 'Zoom in', onclick: () => { this.userMoved = true; this.zoomBy(1.25); } }, '+'),
        h('button', { type: 'button', title: 'Zoom out', onclick: () => { this.userMoved = true; this.zoomBy(0.8); } }, '−')));
    this.worker = new Worker('layout.js');
    this.worker.onmessage = (ev: MessageEvent<LayoutResult>) => this.onLayout(ev.data);
    this.panZoom();
    this.delegate();
  }

  /** One listener for every element: a map of thousands of edges costs no
   *  closure each. Tooltips are written when the pointer arrives. */
  private delegate(): void {
    this.svg.addEventListener('click', (ev) => {
      const t = ev.target as Element;
      const title = t.closest('.group-title');
      if (title) { const g = title.parentElement?.getAttribute('data-group'); if (g !== null && g !== undefined) this.toggle(g); return; }
      const edge = t.closest('.edge');
      if (edge) {
        const cur = this.current.get(edge.getAttribute('data-eid') || '');
        if (cur) { this.selected = cur.id; this.events.edge(cur); this.render(); }
        return;
      }
      const node = t.closest('.node');
      if (node) {
        const cur = this.nodeNow.get(node.getAttribute('data-id') || '');
        if (!cur) return;
        if (cur.id.startsWith('group:')) this.toggle(cur.group); else this.events.node(cur);
      }
    });
    this.svg.addEventListener('pointerover', (ev) => {
      const t = ev.target as Element;
      const edge = t.closest('.edge');
      if (edge) {
        const cur = this.current.get(edge.getAttribute('data-eid') || '');
        if (!cur) return;
        let title: Element | null = edge.querySelector('title');
        if (!title) { title = s('title'); edge.append(title); }
        setText(title, edgeTitle(cur));
        return;
      }
      const node = t.closest('.node');
      if (node) { const cur = this.nodeNow.get(node.getAttribute('data-id') || ''); if (cur) setText(node.children[4], nodeTitle(cur)); }
    });
  }

  /** show draws g: at once when its shape is known, after a layout when not. */
  show(g: Graph): void {
    // The shape only changes when the graph says so (or a group folds):
    // at 2,000 flows/s most calls only redraw counts and colours.
    if (g === this.graph && g.topology === this.topoSeen && !this.foldChanged) {
      if (!this.pending) this.render();
      return;
    }
    this.graph = g;
    this.topoSeen = g.topology;
    this.foldChanged = false;
    const { nodes, edges } = this.visible();
    const key = nodes.map((n) => n.id + '@' + n.group).sort().join('\n') + '\n--\n' + edges.map((e) => e.src + '>' + e.dst).sort().join('\n');
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      this.stats.state = 'layout';
      this.svg.setAttribute('data-state', 'layout');
      const input: LayoutInput = {
        seq: ++this.seq, prev: this.prevOrder,
        nodes: nodes.map((n) => ({ id: n.id, group: n.group, w: NODE_W, h: n.kind === 'workload' ? NODE_H : GROUP_NODE_H })),
        edges: edges.map((e) => ({ src: e.src, dst: e.dst })),
      };
      this.pending = true;
      if (!this.stats.postedMs) this.stats.postedMs = performance.now();
      this.worker.postMessage(input);
      return;
    }
    if (!this.pending) this.render();
  }

  private onLayout(r: LayoutResult): void {
    if (r.seq !== this.seq) return; // a newer one is coming
    this.pending = false;
    if (!this.stats.receivedMs) this.stats.receivedMs = performance.now();
    this.laidOut = r;
    this.prevOrder = { ...this.prevOrder, ...r.order };
    this.stats.layouts++;
    this.stats.lastLayoutMs = r.ms;
    this.render();
    // Until the person pans or zooms, every new layout is fitted to view.
    if (!this.userMoved && Object.keys(r.nodes).length) this.fit();
    this.stats.state = 'stable';
    this.svg.setAttribute('data-state', 'stable');
    if (!this.stats.stableMs) this.stats.stableMs = performance.now();
  }

  /** The nodes and edges to draw: members of collapsed groups fold into
   *  one node per group, their edges merged. */
  private visible(): { nodes: GNode[]; edges: GEdge[] } {
    const nodes: GNode[] = [];
    const folded = new Map<string, GNode>();
    const alias = new Map<string, string>();
    for (const n of this.graph.nodes.values()) {
      if (!this.collapsed.has(n.group)) { nodes.push(n); continue; }
      const id = 'group:' + n.group;
      alias.set(n.id, id);
      let f = folded.get(id);
      if (!f) {
        f = { id, group: n.group, label: n.group, kind: 'host', flowsIn: 0, flowsOut: 0, droppedIn: 0, droppedOut: 0, labels: [] };
        folded.set(id, f);
        nodes.push(f);
      }
      f.flowsIn += n.flowsIn; f.flowsOut += n.flowsOut; f.droppedIn += n.droppedIn; f.droppedOut += n.droppedOut;
      f.labels!.push(n.label);
    }
    if (!alias.size) return { nodes, edges: [...this.graph.edges.values()] };
    const edges = new Map<string, GEdge>();
    for (const e of this.graph.edges.values()) {
      const src = alias.get(e.src) || e.src, dst = alias.get(e.dst) || e.dst;
      if (src === dst && src.startsWith('group:')) continue;
      const id = `${src}|${dst}|${e.proto}|${e.port}`;
      const m = edges.get(id);
      if (!m) { edges.set(id, { ...e, id, src, dst }); continue; }
      m.flows += e.flows; m.forwarded += e.forwarded; m.dropped += e.dropped; m.audit += e.audit; m.error += e.error;
      m.rate += e.rate; m.bytes += e.bytes; m.lastSeen = Math.max(m.lastSeen, e.lastSeen);
    }
    return { nodes, edges: [...edges.values()] };
  }

  /** render updates the drawing from the last layout: elements are kept
   *  by id and changed in place, so that a click or a hover survives. */
  render(): void {
    const r = this.laidOut;
    if (!r) return;
    const t0 = performance.now();
    const { nodes, edges } = this.visible();
    const now = Date.now();
    const groups = new Map<string, number>();
    for (const n of nodes) groups.set(n.group, (groups.get(n.group) || 0) + 1);
    const seenGroups = new Set<string>();
    for (const [g, count] of groups) {
      const b = r.groups[g];
      if (!b) continue;
      seenGroups.add(g);
      const collapsed = this.collapsed.has(g);
      let el = this.groupEls.get(g);
      if (!el) {
        el = s('g', { 'data-group': g },
          s('rect', { rx: 8 }),
          s('text', { class: 'group-title' }));
        this.groupEls.set(g, el);
        this.gGroups.append(el);
      }
      setAttrs(el, { class: 'group' + (collapsed ? ' collapsed' : '') });
      setAttrs(el.children[0], { x: b.x, y: b.y, width: b.w, height: b.h });
      setAttrs(el.children[1], { x: b.x + 10, y: b.y + 18 });
      setText(el.children[1], (collapsed ? '▸ ' : '▾ ') + (g === OUTSIDE ? 'outside the cluster' : g) + ' (' + (collapsed ? this.countOf(g) : count) + ')');
    }
    prune(this.groupEls, seenGroups);
    const labels = edges.length <= LABEL_LIMIT;
    const seenEdges = new Set<string>();
    // New elements go in at once, not one by one into the live drawing.
    const newEdges = document.createDocumentFragment();
    const newNodes = document.createDocumentFragment();
    for (const e of edges) {
      const a = r.nodes[e.src], b = r.nodes[e.dst];
      if (!a || !b) continue;
      seenEdges.add(e.id);
      const cls = ['edge'];
      if (e.dropped > 0) cls.push('dropped');
      if (e.dropped > 0 && e.forwarded > 0) cls.push('mixed');
      if (e.audit > 0) cls.push('audit');
      if (now - e.lastSeen < 2500) cls.push('active');
      if (e.id === this.selected) cls.push('selected');
      let el = this.edgeEls.get(e.id);
      if (!el) {
        // A tooltip and a label are added when needed (hover; small maps).
        el = s('g', { 'data-eid': e.id, 'data-src': e.src, 'data-dst': e.dst, 'data-proto': e.proto, 'data-port': e.port },
          s('path', { class: 'hit' }), s('path', { class: 'line' }));
        this.edgeEls.set(e.id, el);
        newEdges.append(el);
      }
      this.current.set(e.id, e);
      setAttrs(el, { class: cls.join(' ') });
      setAttrs(el, { 'data-dropped': e.dropped, 'data-forwarded': e.forwarded });
      // Geometry changes only with a new layout.
      const seq = String(r.seq);
      if (el.dataset.seq !== seq) {
        el.dataset.seq = seq;
        const d = edgePath(a, b);
        setAttrs(el.children[0], { d });
        setAttrs(el.children[1], { d });
      }
      setAttrs(el.children[1], { 'marker-end': e.dropped > 0 ? 'url(#arrow-drop)' : 'url(#arrow)' });
      let label = this.labelEls.get(e.id);
      if (labels) {
        if (!label) { label = s('text', { class: 'edge-label' }); el.append(label); this.labelEls.set(e.id, label); }
        setAttrs(label, { x: (a.x + a.w + b.x) / 2, y: (a.y + a.h / 2 + b.y + b.h / 2) / 2 - 4 });
        setText(label, edgeLabel(e));
      } else if (label) {
        label.remove();
        this.labelEls.delete(e.id);
      }
    }
    this.gEdges.append(newEdges);
    prune(this.edgeEls, seenEdges);
    for (const id of [...this.labelEls.keys()]) if (!seenEdges.has(id)) this.labelEls.delete(id);
    for (const id of [...this.current.keys()]) if (!seenEdges.has(id)) this.current.delete(id);
    const seenNodes = new Set<string>();
    for (const n of nodes) {
      const b = r.nodes[n.id];
      if (!b) continue;
      seenNodes.add(n.id);
      this.nodeNow.set(n.id, n);
      let el = this.nodeEls.get(n.id);
      if (!el) {
        el = s('g', { 'data-id': n.id },
          s('rect', { rx: 6 }), s('text', { x: 10, y: 20, class: 'node-name' }), s('text', { x: 10, y: 37, class: 'node-sub' }),
          s('text', { x: 10, y: 52, class: 'node-labels' }), s('title', {}));
        this.nodeEls.set(n.id, el);
        newNodes.append(el);
      }
      this.updateNode(el, n, b);
    }
    this.gNodes.append(newNodes);
    prune(this.nodeEls, seenNodes);
    for (const id of [...this.nodeNow.keys()]) if (!seenNodes.has(id)) this.nodeNow.delete(id);
    this.stats.renders++;
    this.stats.maxRenderMs = Math.max(this.stats.maxRenderMs, performance.now() - t0);
    if (!this.stats.firstRenderMs) this.stats.firstRenderMs = performance.now();
  }

  private countOf(g: string): number {
    let n = 0;
    for (const x of this.graph.nodes.values()) if (x.group === g) n++;
    return n;
  }

  private updateNode(el: SVGElement, n: GNode, b: Box): void {
    const folded = n.id.startsWith('group:');
    const cls = ['node', 'kind-' + n.kind];
    if (n.droppedIn + n.droppedOut > 0) cls.push('has-drops');
    if (folded) cls.push('folded');
    const sub = folded ? (n.labels || []).length + ' workloads'
      : n.kind === 'workload' ? (n.identity !== undefined ? 'ID ' + n.identity : '') + policyLine(n)
        : n.kind === 'dns' ? 'DNS name' : n.kind === 'host' ? 'the node' : 'outside the cluster';
    setAttrs(el, { class: cls.join(' ') });
    setAttrs(el, { transform: `translate(${b.x},${b.y})` });
    setAttrs(el.children[0], { width: b.w, height: b.h });
    setText(el.children[1], clip(n.label, 24));
    setText(el.children[2], clip(sub, 30));
    setText(el.children[3], n.kind === 'workload' && !folded && n.labels?.length ? clip(n.labels.filter((l) => !l.startsWith('loupe.')).join(' '), 30) : '');
  }

  toggle(group: string): void {
    if (this.collapsed.has(group)) this.collapsed.delete(group); else this.collapsed.add(group);
    this.foldChanged = true;
    this.show(this.graph);
  }

  private fit(): void {
    const r = this.laidOut;
    if (!r) return;
    const w = this.svg.clientWidth || 800, hh = this.svg.clientHeight || 500;
    const k = Math.min(1.5, Math.max(0.05, Math.min(w / (r.width + 40), hh / (r.height + 40))));
    this.zoom = { k, x: (w - r.width * k) / 2, y: Math.max(10, (hh - r.height * k) / 2) };
    this.applyZoom();
  }

  private zoomBy(f: number): void {
    const w = this.svg.clientWidth / 2, hh = this.svg.clientHeight / 2;
    this.zoom = { k: this.zoom.k * f, x: w - (w - this.zoom.x) * f, y: hh - (hh - this.zoom.y) * f };
    this.applyZoom();
  }

  private applyZoom(): void {
    this.viewport.setAttribute('transform', `translate(${this.zoom.x},${this.zoom.y}) scale(${this.zoom.k})`);
  }

  private panZoom(): void {
    let drag: { x: number; y: number } | undefined;
    this.svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      this.userMoved = true;
      const f = ev.deltaY < 0 ? 1.1 : 1 / 1.1;
      const rect = this.svg.getBoundingClientRect();
      const px = ev.clientX - rect.left, py = ev.clientY - rect.top;
      this.zoom = { k: this.zoom.k * f, x: px - (px - this.zoom.x) * f, y: py - (py - this.zoom.y) * f };
      this.applyZoom();
    }, { passive: false });
    this.svg.addEventListener('pointerdown', (ev) => {
      if ((ev.target as Element).closest('.node, .edge, .group-title')) return;
      drag = { x: ev.clientX - this.zoom.x, y: ev.clientY - this.zoom.y };
    });
    window.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      this.userMoved = true;
      this.zoom.x = ev.clientX - drag.x; this.zoom.y = ev.clientY - drag.y;
      this.applyZoom();
    });
    window.addEventListener('pointerup', () => { drag = undefined; });
  }
}

function edgePath(a: Box, b: Box): string {
  const x1 = a.x + a.w, y1 = a.y + a.h / 2;
  let x2 = b.x, y2 = b.y + b.h / 2;
  if (b.x < a.x + a.w) { // backwards or same column: around the right side
    x2 = b.x + b.w; const bend = 60 + Math.abs(y2 - y1) / 4;
    return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 + bend} ${y2}, ${x2} ${y2}`;
  }
  const dx = Math.max(40, (x2 - x1) / 2);
  return `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`;
}

function edgeLabel(e: GEdge): string {
  const l4 = e.proto + (e.port ? '/' + e.port : '');
  const l7 = e.methods.size ? ' ' + [...e.methods].join(',') : e.dnsNames.size ? ' DNS' : '';
  return l4 + l7 + ' · ' + fmtRate(e.rate) + (e.dropped ? ' · ' + fmtCount(e.dropped) + ' dropped' : '');
}

export function edgeTitle(e: GEdge): string {
  const lines = [
    `${e.src} → ${e.dst}`,
    `${e.proto}${e.port ? '/' + e.port : ''}: ${fmtCount(e.flows)} flows, ${fmtRate(e.rate)}`,
    `forwarded ${e.forwarded}, dropped ${e.dropped}, audit ${e.audit}, error ${e.error}`,
  ];
  if (e.methods.size) lines.push('HTTP ' + [...e.methods].join(', ') + ' ' + [...e.paths].join(', '));
  if (e.dnsNames.size) lines.push('DNS ' + [...e.dnsNames].join(', '));
  return lines.join('\n');
}

function policyLine(n: GNode): string {
  if (!n.ingress && !n.egress) return '';
  return ` · in ${short(n.ingress)} · out ${short(n.egress)}`;
}

const short = (p?: string) => !p ? '?' : p === 'enforced' ? 'enforced' : p;

function nodeTitle(n: GNode): string {
  const lines = [n.id];
  if (n.identity !== undefined) lines.push('identity ' + n.identity);
  if (n.ingress || n.egress) lines.push(`policy: ingress ${n.ingress || '?'}, egress ${n.egress || '?'}`);
  if (n.labels?.length) lines.push(n.labels.join(', '));
  lines.push(`flows in ${n.flowsIn}, out ${n.flowsOut}; dropped in ${n.droppedIn}, out ${n.droppedOut}`);
  return lines.join('\n');
}

function clip(t: string, n: number): string {
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}


function setAttrs(el: Element, attrs: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(attrs)) {
    const str = String(v);
    if (el.getAttribute(k) !== str) el.setAttribute(k, str);
  }
}

function prune(els: Map<string, SVGElement>, keep: Set<string>): void {
  for (const [id, el] of els) if (!keep.has(id)) { el.remove(); els.delete(id); }
}
