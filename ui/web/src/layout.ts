// A layered layout in two levels: each namespace is a box whose workloads
// are laid out in layers (columns) by the edges inside it; the boxes are
// laid out in layers by the edges between them. Orders inside a layer come
// from barycenters, ties broken by the previous order, so that the map
// stays where it was as flows arrive. Pure: it runs in a worker.

export interface LayoutNode { id: string; group: string; w: number; h: number }
export interface LayoutEdge { src: string; dst: string }
export interface LayoutInput { nodes: LayoutNode[]; edges: LayoutEdge[]; prev: Record<string, number>; seq: number }
export interface Box { x: number; y: number; w: number; h: number }
export interface LayoutResult { seq: number; nodes: Record<string, Box>; groups: Record<string, Box>; width: number; height: number; order: Record<string, number>; ms: number }

const GAP_X = 70, GAP_Y = 18, PAD = 14, HEADER = 26, GROUP_GAP_X = 90, GROUP_GAP_Y = 30, MAX_ROWS = 12;

interface Ranked { rank: Map<string, number>; layers: string[][] }

/** rank gives each id its longest-path layer; back edges (found by a DFS in
 *  a stable order) are ignored. */
function rankOf(ids: string[], edges: LayoutEdge[], prev: Record<string, number>): Ranked {
  const out = new Map<string, string[]>();
  for (const id of ids) out.set(id, []);
  for (const e of edges) if (e.src !== e.dst && out.has(e.src) && out.has(e.dst)) out.get(e.src)!.push(e.dst);
  // Sources first (fewest incoming edges), so that a cycle is broken at the
  // edge that points back to them.
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const l of out.values()) for (const n of l) indeg.set(n, indeg.get(n)! + 1);
  const order = [...ids].sort((a, b) => (indeg.get(a)! - indeg.get(b)!) || cmpPrev(prev, a, b));
  for (const l of out.values()) l.sort((a, b) => cmpPrev(prev, a, b));
  // Iterative DFS: drop edges to nodes on the stack (cycles).
  const state = new Map<string, number>(); // 1 on stack, 2 done
  const dag = new Map<string, string[]>();
  const topo: string[] = [];
  for (const root of order) {
    if (state.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    dag.set(root, []);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = out.get(top[0])!;
      if (top[1] < next.length) {
        const n = next[top[1]++];
        const st = state.get(n);
        if (st === 1) continue;
        dag.get(top[0])!.push(n);
        if (st === undefined) { state.set(n, 1); dag.set(n, []); stack.push([n, 0]); }
      } else {
        state.set(top[0], 2);
        topo.push(top[0]);
        stack.pop();
      }
    }
  }
  topo.reverse();
  const rank = new Map<string, number>();
  for (const id of topo) rank.set(id, 0);
  for (const id of topo) for (const n of dag.get(id)!) rank.set(n, Math.max(rank.get(n)!, rank.get(id)! + 1));
  const layers: string[][] = [];
  for (const id of order) {
    const r = rank.get(id)!;
    (layers[r] ||= []).push(id);
  }
  return { rank, layers: layers.map((l) => l || []) };
}

function cmpPrev(prev: Record<string, number>, a: string, b: string): number {
  const pa = prev[a], pb = prev[b];
  if (pa !== undefined && pb !== undefined && pa !== pb) return pa - pb;
  if (pa !== undefined && pb === undefined) return -1;
  if (pb !== undefined && pa === undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Barycenter sweeps: a node moves towards the mean position of its
 *  neighbours in the layer before (down) or after (up). */
function orderLayers(layers: string[][], edges: LayoutEdge[]): void {
  const nbr = new Map<string, string[]>();
  const add = (a: string, b: string) => { (nbr.get(a) || nbr.set(a, []).get(a)!).push(b); };
  for (const e of edges) { add(e.src, e.dst); add(e.dst, e.src); }
  const pos = new Map<string, number>();
  const index = () => layers.forEach((l) => l.forEach((id, i) => pos.set(id, i)));
  index();
  for (let sweep = 0; sweep < 4; sweep++) {
    const seq = sweep % 2 === 0 ? layers.map((_, i) => i) : layers.map((_, i) => layers.length - 1 - i);
    for (const li of seq) {
      const l = layers[li];
      const bary = new Map<string, number>();
      for (const id of l) {
        const ps = (nbr.get(id) || []).map((n) => pos.get(n)).filter((p): p is number => p !== undefined);
        bary.set(id, ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(id)!);
      }
      l.sort((a, b) => (bary.get(a)! - bary.get(b)!) || (pos.get(a)! - pos.get(b)!));
      l.forEach((id, i) => pos.set(id, i));
    }
  }
}

/** Splits layers taller than MAX_ROWS into several columns. */
function wrap(layers: string[][]): string[][] {
  const out: string[][] = [];
  for (const l of layers) {
    const cols = Math.ceil(l.length / MAX_ROWS) || 1;
    const per = Math.ceil(l.length / cols) || 1;
    for (let c = 0; c < cols; c++) out.push(l.slice(c * per, (c + 1) * per));
  }
  return out;
}

interface Placed { w: number; h: number; cols: string[][]; boxes: Map<string, Box> }

function placeColumns(cols: string[][], size: Map<string, { w: number; h: number }>, gapX: number, gapY: number): Placed {
  const boxes = new Map<string, Box>();
  let x = 0, height = 0;
  for (const col of cols) {
    const cw = Math.max(0, ...col.map((id) => size.get(id)!.w));
    let y = 0;
    for (const id of col) {
      const s = size.get(id)!;
      boxes.set(id, { x, y, w: s.w, h: s.h });
      y += s.h + gapY;
    }
    height = Math.max(height, y - gapY);
    x += cw + gapX;
  }
  // Centre short columns vertically.
  for (const col of cols) {
    if (!col.length) continue;
    const last = boxes.get(col[col.length - 1])!;
    const off = (height - (last.y + last.h)) / 2;
    for (const id of col) boxes.get(id)!.y += off;
  }
  return { w: Math.max(0, x - gapX), h: Math.max(0, height), cols, boxes };
}

export function layout(input: LayoutInput): LayoutResult {
  const t0 = performance.now();
  const groups = new Map<string, LayoutNode[]>();
  const groupOf = new Map<string, string>();
  for (const n of input.nodes) {
    (groups.get(n.group) || groups.set(n.group, []).get(n.group)!).push(n);
    groupOf.set(n.id, n.group);
  }
  const inner: LayoutEdge[] = [];
  const outerSeen = new Set<string>();
  const outer: LayoutEdge[] = [];
  for (const e of input.edges) {
    const gs = groupOf.get(e.src), gd = groupOf.get(e.dst);
    if (gs === undefined || gd === undefined) continue;
    if (gs === gd) inner.push(e);
    else if (!outerSeen.has(gs + '\n' + gd)) { outerSeen.add(gs + '\n' + gd); outer.push({ src: gs, dst: gd }); }
  }
  const order: Record<string, number> = {};
  const groupSize = new Map<string, { w: number; h: number }>();
  const placedIn = new Map<string, Placed>();
  for (const [g, members] of groups) {
    const ids = members.map((m) => m.id);
    const { layers } = rankOf(ids, inner, input.prev);
    orderLayers(layers, inner);
    const cols = wrap(layers);
    const size = new Map(members.map((m) => [m.id, { w: m.w, h: m.h }]));
    const p = placeColumns(cols, size, GAP_X, GAP_Y);
    placedIn.set(g, p);
    groupSize.set(g, { w: p.w + 2 * PAD, h: p.h + 2 * PAD + HEADER });
    cols.forEach((c) => c.forEach((id, i) => { order[id] = i; }));
  }
  const gids = [...groups.keys()];
  const { layers } = rankOf(gids, outer, input.prev);
  orderLayers(layers, outer);
  const gp = placeColumns(wrap(layers), groupSize, GROUP_GAP_X, GROUP_GAP_Y);
  const nodes: Record<string, Box> = {};
  const gboxes: Record<string, Box> = {};
  for (const [g, p] of placedIn) {
    const gb = gp.boxes.get(g)!;
    gboxes[g] = gb;
    for (const [id, b] of p.boxes) nodes[id] = { x: gb.x + PAD + b.x, y: gb.y + PAD + HEADER + b.y, w: b.w, h: b.h };
  }
  gp.cols.forEach((c) => c.forEach((g, i) => { order[g] = i; }));
  return { seq: input.seq, nodes, groups: gboxes, width: gp.w, height: gp.h, order, ms: performance.now() - t0 };
}
