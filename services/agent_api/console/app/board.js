// The live board (a wall screen): big numbers, the queue by priority and by category, agents'
// load against capacity, and SLA warnings and breaches as the stream brings them.
import { useEffect } from "preact/hooks";
import { signal } from "@preact/signals";
import { html, Priority } from "./ui.js";
import { t, number, category, formatTime } from "./i18n.js";
import { api, query } from "./api.js";
import { now } from "./store.js";
import { PRIORITIES, CATEGORIES } from "./views.js";
import { HBars } from "./charts.js";
import { duration, errorText, startOfToday } from "./figures.js";

const REFRESH_MS = 10_000;
const QUEUE_PAGES = 5; // 5 × 200 queued conversations read for the category split
const KEEP_EVENTS = 50;

export const board = signal({ loaded: false, error: "" });
export const slaEvents = signal([]);
let timer, soon;
let mounted = false; // agents get SLA events too: only an open board reads the statistics

async function queuedByCategory() {
  const counts = {};
  let cursor = null, seen = 0, more = false;
  for (let page = 0; page < QUEUE_PAGES; page++) {
    const body = await api("GET", `conversations${query({ status: ["queued"], limit: 200, cursor })}`);
    body.conversations.forEach((c) => { counts[c.category] = (counts[c.category] || 0) + 1; });
    seen += body.conversations.length;
    cursor = body.next_cursor;
    if (!cursor) break;
    more = page === QUEUE_PAGES - 1;
  }
  return { counts, seen, more };
}

/** Read every figure again; one that fails keeps its last value and the error is shown. */
export async function refresh() {
  clearTimeout(soon);
  const from = startOfToday();
  const to = new Date(Date.now() + 60_000).toISOString();
  const [live, agents, sla, callbacks, queue] = await Promise.allSettled([
    api("GET", "stats/live"),
    api("GET", `stats/agents${query({ from, to })}`),
    api("GET", `stats/sla${query({ from, to })}`),
    api("GET", `callbacks${query({ state: "due", limit: 500 })}`),
    queuedByCategory(),
  ]);
  const value = (r, fallback) => (r.status === "fulfilled" ? r.value : fallback);
  const last = board.value;
  const failed = [live, agents, sla, callbacks, queue].find((r) => r.status === "rejected");
  board.value = {
    loaded: true,
    at: Date.now(),
    live: value(live, last.live),
    agents: value(agents, { rows: last.agents })?.rows || [],
    breaches: sla.status === "fulfilled" ? (sla.value.rows.find((r) => r.kind === "all")?.breaches ?? 0) : last.breaches,
    overdue: callbacks.status === "fulfilled"
      ? { n: callbacks.value.callbacks.filter((c) => c.overdue).length, more: callbacks.value.callbacks.length >= 500 }
      : last.overdue,
    queue: value(queue, last.queue),
    error: failed ? errorText(failed.reason) : "",
  };
}

/** A stream event for the board: SLA warnings and breaches appear at once; figures follow shortly. */
export function boardEvent(event) {
  if (event.type !== "sla_warning" && event.type !== "sla_breached") return;
  const entry = { ...event, key: `${event.id}-${event.type}` };
  slaEvents.value = [entry, ...slaEvents.value.filter((e) => e.key !== entry.key)].slice(0, KEEP_EVENTS);
  if (event.type === "sla_breached" && board.value.loaded) {
    board.value = { ...board.value, breaches: (board.value.breaches || 0) + 1 };
  }
  clearTimeout(soon);
  if (mounted) soon = setTimeout(() => refresh().catch(() => {}), 1500);
}

function Tile({ label, value, sub, tone, testid }) {
  return html`<div class=${`tile ${tone || ""}`} data-testid=${testid}>
    <span class="tile-label">${label}</span><span class="tile-value">${value}</span>
    ${sub && html`<span class="tile-sub">${sub}</span>`}
  </div>`;
}

function Tiles({ b }) {
  const waiting = b.live?.queued?.total ?? 0;
  const agents = b.agents.filter((a) => a.role === "agent");
  const online = agents.filter((a) => a.status === "online").length;
  const away = agents.filter((a) => a.status === "away").length;
  const wait = b.live?.longest_wait_s == null ? null : b.live.longest_wait_s + (now.value - b.at) / 1000;
  const overdue = b.overdue ? (b.overdue.more ? t("moreThan", { n: number(b.overdue.n) }) : number(b.overdue.n)) : t("none");
  return html`<div class="tiles">
    <${Tile} label=${t("waitingNow")} value=${number(waiting)} tone=${waiting ? "warn" : ""} testid="tile-waiting" />
    <${Tile} label=${t("oldestWait")} value=${waiting ? duration(wait) : t("none")} tone=${wait > 300 ? "bad" : ""} testid="tile-oldest" />
    <${Tile} label=${t("agentsOnline")} value=${number(online)} sub=${`${number(away)} ${t("agentsAway")}`} testid="tile-online" />
    <${Tile} label=${t("breachesToday")} value=${b.breaches == null ? t("none") : number(b.breaches)}
      tone=${b.breaches ? "bad" : ""} testid="tile-breaches" />
    <${Tile} label=${t("callbacksOverdue")} value=${overdue} tone=${b.overdue?.n ? "warn" : ""} testid="tile-overdue" />
  </div>`;
}

function Queues({ b }) {
  const queued = b.live?.queued || {};
  const byPriority = PRIORITIES.map((p) => ({ label: t(p), value: queued[p] || 0, tone: `tone-${p}` }));
  const counts = b.queue?.counts || {};
  const names = [...CATEGORIES, ...Object.keys(counts).filter((c) => !CATEGORIES.includes(c))];
  const byCategory = names.map((c) => ({ label: category(c), value: counts[c] || 0 }));
  const max = Math.max(1, ...byPriority.map((d) => d.value), ...byCategory.map((d) => d.value));
  return html`<section class="card" aria-labelledby="q-priority">
      <h2 id="q-priority">${t("queueByPriority")}</h2>
      ${queued.total ? html`<${HBars} data=${byPriority} max=${max} testid="queue-priority" />` : html`<p class="empty">${t("noQueue")}</p>`}
    </section>
    <section class="card" aria-labelledby="q-category">
      <h2 id="q-category">${t("queueByCategory")}</h2>
      ${queued.total ? html`<${HBars} data=${byCategory} max=${max} testid="queue-category" />` : html`<p class="empty">${t("noQueue")}</p>`}
      ${b.queue?.more && html`<p class="hint">${t("sampled", { n: number(b.queue.seen) })}</p>`}
    </section>`;
}

function Agents({ rows }) {
  if (!rows.length) return html`<p class="empty">${t("noAgents")}</p>`;
  return html`<table class="grid-table" data-testid="board-agents">
    <thead><tr><th scope="col">${t("name")}</th><th scope="col">${t("status")}</th><th scope="col">${t("load")}</th>
      <th scope="col" class="num">${t("handledToday")}</th></tr></thead>
    <tbody>${rows.map((a) => html`<tr key=${a.agent_id}>
      <td>${a.name}${a.role !== "agent" && html` <span class="badge">${t(a.role)}</span>`}</td>
      <td><span class=${`presence presence-${a.status}`}>${t(a.status)}</span></td>
      <td><span class="load"><span class="hbar-track"><span class=${`hbar-fill${a.assigned_now >= a.capacity ? " full" : ""}`}
        style=${{ width: `${Math.min(100, (100 * a.assigned_now) / Math.max(1, a.capacity))}%` }}></span></span>
        <span class="load-text">${number(a.assigned_now)} / ${number(a.capacity)}</span></span></td>
      <td class="num">${number(a.handled)}</td>
    </tr>`)}</tbody>
  </table>`;
}

function SlaFeed() {
  const events = slaEvents.value;
  return html`<section class="card sla-feed" aria-labelledby="sla-feed">
    <h2 id="sla-feed">${t("liveSla")}</h2>
    <ul aria-live="polite" data-testid="sla-events">
      ${!events.length && html`<li class="empty">${t("noSlaEvents")}</li>`}
      ${events.map((e) => html`<li key=${e.key} class=${`sla-event ${e.type}`}>
        <span class=${`sla ${e.type === "sla_breached" ? "sla-breached" : "sla-warning"}`}>
          ${e.type === "sla_breached" ? t("slaBreachWord") : t("slaWarningWord")}</span>
        <span>${t(`kind_${e.kind}`)}</span>
        <${Priority} priority=${e.priority} />
        <span class="badge">${category(e.category)}</span>
        <span class="muted">${t("dueAt", { t: formatTime(e.due_at) })}</span>
        <a href=${`#/c/${e.conversation_id}`}>${t("open")}<span class="sr-only"> ${t("conversationShort")} ${e.conversation_id}</span></a>
      </li>`)}
    </ul>
  </section>`;
}

export function Board() {
  useEffect(() => {
    mounted = true;
    refresh().catch(() => {});
    timer = setInterval(() => refresh().catch(() => {}), REFRESH_MS);
    return () => { mounted = false; clearInterval(timer); clearTimeout(soon); };
  }, []);
  const b = board.value;
  return html`<div class="screen board" data-testid="board">
    <header class="screen-head"><h1>${t("board")}</h1>
      ${b.at && html`<span class="muted">${t("updatedAt", { t: formatTime(new Date(b.at).toISOString()) })}</span>`}</header>
    ${b.error && html`<p class="form-error" role="alert">${t("loadFailed", { error: b.error })}</p>`}
    ${!b.loaded ? html`<p class="loading">${t("loading")}</p>` : html`
      <${Tiles} b=${b} />
      <div class="board-grid">
        <${Queues} b=${b} />
        <${SlaFeed} />
        <section class="card wide" aria-labelledby="board-agents"><h2 id="board-agents">${t("agentsTable")}</h2>
          <${Agents} rows=${b.agents} /></section>
      </div>`}
  </div>`;
}
