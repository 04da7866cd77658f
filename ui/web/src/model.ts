// The shapes the server sends: protojson of api/observer.GetFlowsResponse
// and api/flow.Flow (enums as names, 64-bit numbers as strings).

export interface Endpoint {
  id?: number; identity?: number; namespace?: string; workload?: string; labels?: string[];
}
export interface TCPFlags { [flag: string]: boolean }
export interface Flow {
  time?: string; id?: string; nodeName?: string; verdict?: string; dropReason?: string;
  ip?: { source?: string; destination?: string; ipVersion?: string };
  l4?: {
    tcp?: { sourcePort?: number; destinationPort?: number; flags?: TCPFlags };
    udp?: { sourcePort?: number; destinationPort?: number };
    sctp?: { sourcePort?: number; destinationPort?: number };
    icmpv4?: { type?: number; code?: number };
    icmpv6?: { type?: number; code?: number };
  };
  source?: Endpoint; destination?: Endpoint;
  sourceNames?: string[]; destinationNames?: string[];
  eventType?: string; observationPoint?: string; traceReason?: string;
  trafficDirection?: string; isReply?: boolean;
  policyMatchType?: string; policyNames?: string[];
  l7?: {
    type?: string; latencyNs?: string;
    http?: { code?: number; method?: string; url?: string; protocol?: string; headers?: { key?: string; value?: string }[] };
    dns?: { query?: string; ips?: string[]; ttl?: number; cnames?: string[]; rcode?: number; qtypes?: string[]; rrtypes?: string[] };
    kafka?: { errorCode?: number; apiVersion?: number; apiKey?: string; correlationId?: number; topic?: string };
  };
  traceContext?: { traceId?: string; parentSpanId?: string; spanId?: string };
  packets?: string; bytes?: string; interfaceName?: string;
}
export interface LostEvent { source?: string; numEventsLost?: string; cpu?: number }
export interface NodeStatus { stateChange?: string; nodeNames?: string[]; message?: string }
export interface Item {
  flow?: Flow; lostEvents?: LostEvent; nodeStatus?: NodeStatus; nodeName?: string; time?: string;
}

/** A row of the table: a flow, or a record that is not one. */
export interface Row { seq: number; item: Item; t: number }

export function timeMs(t?: string): number {
  return t ? Date.parse(t) : 0;
}

/** Nanoseconds of a protojson timestamp, as far as a double holds them. */
export function timeNs(t?: string): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  const frac = /\.(\d+)Z$/.exec(t);
  const ns = frac ? Number((frac[1] + '000000000').slice(0, 9)) % 1e6 : 0;
  return ms * 1e6 + ns;
}

export function endpointName(e: Endpoint | undefined, names?: string[]): string {
  if (e?.workload) return (e.namespace ? e.namespace + '/' : '') + e.workload;
  if (e?.identity === 1) return 'host';
  if (names && names.length) return names[0];
  return 'world';
}

export function ports(f: Flow): { proto: string; sport?: number; dport?: number } {
  const l4 = f.l4 || {};
  if (l4.tcp) return { proto: 'TCP', sport: l4.tcp.sourcePort, dport: l4.tcp.destinationPort };
  if (l4.udp) return { proto: 'UDP', sport: l4.udp.sourcePort, dport: l4.udp.destinationPort };
  if (l4.sctp) return { proto: 'SCTP', sport: l4.sctp.sourcePort, dport: l4.sctp.destinationPort };
  if (l4.icmpv4) return { proto: 'ICMPv4' };
  if (l4.icmpv6) return { proto: 'ICMPv6' };
  return { proto: '' };
}

export function tcpFlags(f: Flow): string {
  const fl = f.l4?.tcp?.flags;
  if (!fl) return '';
  return ['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR'].filter((k) => fl[k]).join(',');
}

export function l7Summary(f: Flow): string {
  const l7 = f.l7;
  if (!l7) return '';
  if (l7.http) {
    const h = l7.http;
    const parts = [h.method || '', h.url || ''];
    if (h.code) parts.push(String(h.code));
    if (l7.latencyNs && l7.type === 'RESPONSE') parts.push((Number(l7.latencyNs) / 1e6).toFixed(1) + 'ms');
    return 'HTTP ' + parts.filter(Boolean).join(' ');
  }
  if (l7.dns) {
    const d = l7.dns;
    return 'DNS ' + (d.query || '') + (d.qtypes?.length ? ' ' + d.qtypes.join(',') : '') + (l7.type === 'RESPONSE' ? ' rcode ' + (d.rcode ?? 0) : '');
  }
  if (l7.kafka) return 'Kafka ' + (l7.kafka.apiKey || '') + ' ' + (l7.kafka.topic || '');
  return '';
}

export function direction(f: Flow): string {
  const d = f.trafficDirection;
  return d === 'INGRESS' ? 'ingress' : d === 'EGRESS' ? 'egress' : '';
}

export const point = (f: Flow): string => (f.observationPoint || '').toLowerCase().replace(/_/g, '-');

/** The time of day with milliseconds, in the browser's zone. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function fmtRate(perSec: number): string {
  if (perSec >= 100) return perSec.toFixed(0) + '/s';
  if (perSec >= 1) return perSec.toFixed(1) + '/s';
  return perSec.toFixed(2) + '/s';
}

export function fmtCount(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return String(n);
}
