// The live stream: one WebSocket, resubscribed when the filter changes and
// reconnected with backoff when it drops.
import { Item } from './model';

export interface LiveEvents {
  items(items: Item[]): void;
  state(state: 'connecting' | 'live' | 'paused' | 'error', detail?: string): void;
  subscribed(filter: string): void;
}

export class LiveStream {
  private ws?: WebSocket;
  private filter = '';
  private on = false;
  private backoff = 500;
  private timer?: number;
  // Records of an earlier subscription may still arrive after a new one was
  // sent; the server answers "subscribed" after the last of them.
  private accepting = false;

  constructor(private ev: LiveEvents) {}

  start(filter: string): void {
    this.filter = filter;
    this.on = true;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.subscribe();
    else if (!this.ws || this.ws.readyState !== WebSocket.CONNECTING) this.connect();
  }

  stop(): void {
    this.on = false;
    this.accepting = false;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'unsubscribe' }));
    this.ev.state('paused');
  }

  private subscribe(): void {
    this.accepting = false;
    this.ws!.send(JSON.stringify({ type: 'subscribe', filter: this.filter, backfill: 300 }));
  }

  private connect(): void {
    clearTimeout(this.timer);
    this.ev.state('connecting');
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/live';
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => { this.backoff = 500; if (this.on) this.subscribe(); };
    ws.onmessage = (m) => {
      let msg: { t: string; items?: Item[]; error?: string; filter?: string };
      try { msg = JSON.parse(String(m.data)); } catch { return; }
      if (msg.t === 'items' && msg.items) { if (this.accepting) this.ev.items(msg.items); }
      else if (msg.t === 'error') this.ev.state('error', msg.error);
      else if (msg.t === 'subscribed' && this.on && (msg.filter || '') === this.filter) {
        this.accepting = true;
        this.ev.state('live');
        this.ev.subscribed(msg.filter || '');
      }
    };
    ws.onclose = (c) => {
      if (this.ws !== ws) return;
      this.ev.state('error', `stream closed (${c.code}${c.reason ? ': ' + c.reason : ''}); reconnecting`);
      this.timer = window.setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }
}
