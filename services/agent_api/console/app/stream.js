// The live stream: one WebSocket, resumed with ?after=<last id> after a drop, events deduplicated by id.
import { signal } from "@preact/signals";

export const connected = signal(false);
export const everConnected = signal(false);
const RECENT = 2048;
const PING_MS = 25_000;

export class Stream {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.lastId = -1;
    this.seen = new Set();
    this.stopped = false;
    this.delay = 500;
    this.ws = null;
    this.online = () => this.reconnectNow();
    // The browser knows before the socket does: show "reconnecting" and resume when it is back.
    this.offline = () => this.ws && this.ws.close(4000, "offline");
    window.addEventListener("online", this.online);
    window.addEventListener("offline", this.offline);
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    window.removeEventListener("online", this.online);
    window.removeEventListener("offline", this.offline);
    if (this.ws) this.ws.close(1000, "logout");
    connected.value = false;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const after = this.lastId >= 0 ? `?after=${this.lastId}` : "";
    return `${scheme}//${location.host}/v1/stream${after}`;
  }

  open() {
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      connected.value = true;
      everConnected.value = true;
      this.delay = 500;
      clearInterval(this.ping);
      this.ping = setInterval(() => ws.readyState === 1 && ws.send("ping"), PING_MS);
    };
    ws.onmessage = (message) => this.receive(message.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      connected.value = false;
      clearInterval(this.ping);
      if (!this.stopped) this.retry = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    };
  }

  /** Drop the socket and open a new one at once (the browser came back online). */
  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.delay = 500;
    if (this.ws && this.ws.readyState <= 1) this.ws.close(4000, "reconnect");
    else this.open();
  }

  receive(data) {
    let event;
    try { event = JSON.parse(data); } catch { return; }
    if (event.type === "pong") return;
    const id = Number(event.id);
    if (id > 0) {
      if (this.seen.has(id)) return;
      this.seen.add(id);
      if (this.seen.size > RECENT) this.seen.delete(this.seen.values().next().value);
      if (id > this.lastId) this.lastId = id;
    }
    this.onEvent(event);
  }
}
