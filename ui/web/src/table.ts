// The flow table: a bounded store of rows, newest first, drawn virtually
// (only the rows in view exist in the DOM), at most once per frame.
import { h, clear, setText } from './dom';
import { clock, direction, endpointName, Flow, l7Summary, point, ports, Row, tcpFlags, timeMs, Item } from './model';

export interface Column { id: string; title: string; width: number; text(f: Flow, row: Row): string; on: boolean }

const ROW_H = 24;
const CAPACITY = 20000;

function portOf(f: Flow): string {
  const p = ports(f);
  return p.dport ? `${p.proto}/${p.dport}` : p.proto;
}

export const COLUMNS: Column[] = [
  { id: 'time', title: 'Time', width: 110, on: true, text: (_f, r) => clock(r.t) },
  { id: 'source', title: 'Source', width: 190, on: true, text: (f) => endpointName(f.source, f.sourceNames) + (ports(f).sport ? ':' + ports(f).sport : '') },
  { id: 'destination', title: 'Destination', width: 190, on: true, text: (f) => endpointName(f.destination, f.destinationNames) },
  { id: 'port', title: 'Port', width: 90, on: true, text: portOf },
  { id: 'l7', title: 'L7 info', width: 220, on: true, text: l7Summary },
  { id: 'direction', title: 'Direction', width: 70, on: true, text: (f) => direction(f) + (f.isReply ? ' ↩' : '') },
  { id: 'verdict', title: 'Verdict', width: 95, on: true, text: (f) => f.verdict || '' },
  { id: 'flags', title: 'TCP flags', width: 85, on: true, text: tcpFlags },
  { id: 'point', title: 'Observation', width: 150, on: true, text: (f) => (f.eventType === 'TRACE' ? '' : (f.eventType || '').toLowerCase().replace('_', '-') + ' ') + point(f) },
  { id: 'reason', title: 'Drop reason', width: 120, on: false, text: (f) => f.verdict === 'DROPPED' ? f.dropReason || '' : '' },
  { id: 'policies', title: 'Policies', width: 160, on: false, text: (f) => (f.policyNames || []).join(', ') },
  { id: 'srcip', title: 'Source IP', width: 130, on: false, text: (f) => f.ip?.source || '' },
  { id: 'dstip', title: 'Destination IP', width: 130, on: false, text: (f) => f.ip?.destination || '' },
  { id: 'identity', title: 'Identities', width: 90, on: false, text: (f) => `${f.source?.identity ?? ''}→${f.destination?.identity ?? ''}` },
  { id: 'node', title: 'Node', width: 90, on: false, text: (f) => f.nodeName || '' },
  { id: 'bytes', title: 'Bytes', width: 70, on: false, text: (f) => f.bytes || '' },
  { id: 'trace', title: 'Trace id', width: 120, on: false, text: (f) => f.traceContext?.traceId || '' },
];

export function lostText(it: Item): string {
  if (it.lostEvents) {
    const l = it.lostEvents;
    return `EVENTS LOST: ${l.source || 'UNKNOWN'}${l.cpu ? ' CPU(' + l.cpu + ')' : ''} ${l.numEventsLost || 0}` + (it.nodeName ? ` [${it.nodeName}]` : '');
  }
  if (it.nodeStatus) {
    const n = it.nodeStatus;
    return `NODES ${(n.stateChange || '').replace('NODE_', '')}: ${(n.nodeNames || []).join(', ')} ${n.message || ''}`;
  }
  return '';
}

export class FlowTable {
  readonly el: HTMLElement;
  // A ring of the newest CAPACITY rows: adding never moves the others.
  private ring: Row[] = new Array(CAPACITY);
  private head = 0; // where the next row goes
  private count = 0;
  private scoped?: Row[]; // the rows in scope, newest first, when scoped
  private seq = 0;
  private scroller: HTMLElement;
  private spacer: HTMLElement;
  private header: HTMLElement;
  private pool: HTMLElement[] = [];
  private dirty = true;
  private selectedSeq = -1;
  private scope?: (f: Flow) => boolean;
  lost = 0;

  constructor(private onSelect: (r: Row) => void) {
    this.header = h('div', { class: 'thead' });
    this.spacer = h('div', { class: 'spacer' });
    this.scroller = h('div', { class: 'tbody', 'data-testid': 'flow-table' }, this.spacer);
    this.el = h('div', { class: 'table' }, this.header, this.scroller);
    this.scroller.addEventListener('scroll', () => this.invalidate());
    this.scroller.addEventListener('click', (ev) => {
      const rowEl = (ev.target as Element).closest('.row') as HTMLElement | null;
      if (!rowEl) return;
      const r = this.rowAt(Number(rowEl.dataset.index));
      if (r) { this.selectedSeq = r.seq; this.onSelect(r); this.invalidate(); }
    });
    window.addEventListener('resize', () => this.invalidate());
    this.drawHeader();
    const frame = () => { if (this.dirty) this.draw(); requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
  }

  columns(): Column[] { return COLUMNS.filter((c) => c.on); }

  setColumn(id: string, on: boolean): void {
    const c = COLUMNS.find((x) => x.id === id);
    if (c) c.on = on;
    this.drawHeader();
    clear(this.spacer); this.pool = [];
    this.invalidate();
  }

  /** add takes items in time order (oldest first). */
  add(items: Item[]): void {
    let added = 0;
    for (const it of items) {
      if (!it.flow && !it.lostEvents && !it.nodeStatus) continue;
      if (it.lostEvents) this.lost += Number(it.lostEvents.numEventsLost || 0);
      const r: Row = { seq: ++this.seq, item: it, t: timeMs(it.flow?.time || it.time) || Date.now() };
      this.ring[this.head] = r;
      this.head = (this.head + 1) % CAPACITY;
      if (this.count < CAPACITY) this.count++;
      if (!this.scope || this.inScope(r)) added++;
    }
    // A person reading older rows keeps them in place.
    if (added && this.scroller.scrollTop > 0) this.scroller.scrollTop += added * ROW_H;
    this.invalidate();
  }

  reset(items: Item[] = []): void {
    this.ring = new Array(CAPACITY);
    this.head = 0;
    this.count = 0;
    this.lost = 0;
    this.scroller.scrollTop = 0;
    this.add(items);
  }

  /** Narrows the rows shown to those scope accepts (an edge of the map). */
  setScope(scope?: (f: Flow) => boolean): void {
    this.scope = scope;
    this.scroller.scrollTop = 0;
    this.invalidate();
  }

  private inScope(r: Row): boolean {
    return !r.item.flow || !this.scope || this.scope(r.item.flow);
  }

  /** newest(i) is the i-th newest row held. */
  private newest(i: number): Row | undefined {
    return i < this.count ? this.ring[(this.head - 1 - i + CAPACITY) % CAPACITY] : undefined;
  }

  /** rowAt(i) is the i-th row shown. */
  private rowAt(i: number): Row | undefined {
    return this.scoped ? this.scoped[i] : this.newest(i);
  }

  /** size is how many rows are shown. */
  get size(): number { return this.scoped ? this.scoped.length : this.count; }
  /** rowCount is how many rows the table holds (a scope may show fewer). */
  get rowCount(): number { return this.count; }

  private invalidate(): void { this.dirty = true; }

  private drawHeader(): void {
    clear(this.header);
    for (const c of this.columns()) this.header.append(h('div', { class: 'th', 'data-col': c.id, title: c.title }, c.title));
    this.header.style.gridTemplateColumns = this.template();
  }

  private template(): string {
    return this.columns().map((c) => c.width + 'px').join(' ');
  }

  private draw(): void {
    this.dirty = false;
    if (this.scope) {
      this.scoped = [];
      for (let i = 0; i < this.count; i++) { const r = this.newest(i)!; if (this.inScope(r)) this.scoped.push(r); }
    } else {
      this.scoped = undefined;
    }
    const cols = this.columns();
    this.spacer.style.height = this.size * ROW_H + 'px';
    const top = this.scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_H) - 2);
    const count = Math.ceil((this.scroller.clientHeight || 400) / ROW_H) + 4;
    const template = this.template();
    for (let i = 0; i < count; i++) {
      const idx = first + i;
      let el = this.pool[i];
      if (!el) {
        el = h('div', { class: 'row' });
        for (let c = 0; c < cols.length; c++) el.append(h('div', { class: 'td' }));
        this.pool[i] = el;
        this.spacer.append(el);
      }
      const r = this.rowAt(idx);
      if (!r) { el.hidden = true; continue; }
      el.hidden = false;
      el.style.transform = `translateY(${idx * ROW_H}px)`;
      el.style.gridTemplateColumns = template;
      el.dataset.index = String(idx);
      const f = r.item.flow;
      const cls = 'row' + (f ? ' verdict-' + (f.verdict || '').toLowerCase() : ' lost') + (r.seq === this.selectedSeq ? ' selected' : '');
      if (el.className !== cls) el.className = cls;
      const cells = el.children;
      if (!f) {
        setText(cells[0] as Element, clock(r.t));
        setText(cells[1] as Element, lostText(r.item));
        for (let c = 2; c < cells.length; c++) setText(cells[c] as Element, '');
        (cells[1] as HTMLElement).classList.add('span');
        continue;
      }
      (cells[1] as HTMLElement).classList.remove('span');
      for (let c = 0; c < cols.length; c++) setText(cells[c] as Element, cols[c].text(f, r));
    }
    for (let i = count; i < this.pool.length; i++) this.pool[i].hidden = true;
  }
}
