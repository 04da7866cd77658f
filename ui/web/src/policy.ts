// The policy view of one workload: what selects it, and the drops of the
// window explained by the agent.
import { h } from './dom';
import { kv } from './panels';

interface Explanation { from?: string; to?: string; verdict?: string; reason?: string }
interface Drop {
  direction: string; from: string; to: string; protocol: string; port: number; count: number;
  reasons: string[]; policy_names: string[] | null; last: string; explanations: Explanation[] | null;
}
interface PolicySummary { namespace: string; name: string; kind: string; file: string; ingress: boolean; egress: boolean; audit: boolean; source: string }
export interface PolicyView {
  endpoint: { identity?: number; labels?: Record<string, string>; policyIngress?: string; policyEgress?: string; policyRevision?: string } | null;
  policies: PolicySummary[]; drops: Drop[]; truncated: boolean; errors?: string[];
}

export function renderPolicy(v: PolicyView): HTMLElement {
  const out = h('div', { 'data-testid': 'policy' });
  const e = v.endpoint;
  if (e) {
    out.append(kv([
      ['identity', String(e.identity ?? '')],
      ['labels', Object.entries(e.labels || {}).map(([k, x]) => k + '=' + x).join(', ')],
      ['ingress', e.policyIngress || 'off'],
      ['egress', e.policyEgress || 'off'],
      ['revision', String(e.policyRevision ?? '')],
    ]));
  } else {
    out.append(h('p', { class: 'hint' }, 'The agent does not know this workload (another node, or gone).'));
  }
  out.append(h('h3', {}, `Selected by ${v.policies.length} ${v.policies.length === 1 ? 'policy' : 'policies'}`));
  const pl = h('ul', { class: 'policies' });
  for (const p of v.policies) {
    const dirs = [p.ingress ? 'ingress' : '', p.egress ? 'egress' : '', p.audit ? 'audit' : ''].filter(Boolean).join(', ');
    const src = h('details', {}, h('summary', {}, `${p.namespace ? p.namespace + '/' : ''}${p.name}`), h('pre', { class: 'small' }, p.source));
    pl.append(h('li', { 'data-policy': (p.namespace ? p.namespace + '/' : '') + p.name }, src, h('span', { class: 'muted' }, `${p.kind}, ${dirs}`)));
  }
  out.append(pl);
  out.append(h('h3', {}, `Drops in the window: ${v.drops.reduce((a, d) => a + d.count, 0)}${v.truncated ? '+' : ''}`));
  const dl = h('ul', { class: 'drops' });
  for (const d of v.drops) {
    const ex = h('ul', { class: 'explain' });
    for (const x of d.explanations || []) ex.append(h('li', {}, `${(x.verdict || '').toUpperCase()}: ${x.from || ''} → ${x.to || ''}: ${x.reason || ''}`));
    dl.append(h('li', { class: 'drop', 'data-from': d.from, 'data-to': d.to },
      h('div', {}, `${d.count} × ${d.from} → ${d.to} ${d.protocol}/${d.port} (${d.direction})`),
      h('div', { class: 'muted' }, d.reasons.join(', ') + (d.policy_names?.length ? ' by ' + d.policy_names.join(', ') : '')),
      ex));
  }
  out.append(dl);
  for (const err of v.errors || []) out.append(h('p', { class: 'error' }, err));
  return out;
}
