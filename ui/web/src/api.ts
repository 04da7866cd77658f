// JSON requests to the UI server.
import { Item } from './model';

export async function getJSON<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const res = await fetch(path + (q.size ? '?' + q.toString() : ''), { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body as T;
}

export interface FlowsAnswer { items: Item[]; truncated: boolean }

export const flows = (p: Record<string, string | number | undefined>) => getJSON<FlowsAnswer>('/api/v1/flows', p);
