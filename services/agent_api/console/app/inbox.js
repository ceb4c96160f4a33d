// The left rail (views and counts) and the conversation list: cursor-paged, virtualised, live.
import { useEffect, useRef, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { html, ChannelIcon, Priority, who } from "./ui.js";
import { t, age, countdown, number, category } from "./i18n.js";
import { api, query } from "./api.js";
import { conversations, unread, previews, offers, openId, remember, me, now, slaState, offerList } from "./store.js";
import { view, takesAssignment, CHANNELS, PRIORITIES, STATUSES, CATEGORIES } from "./views.js";
import "./agent-words.js";

export const ROW_H = 76;
const PAGE = 100;
const OVERSCAN = 6;
export const currentView = signal("mine");
export const list = signal({ ids: [], cursor: null, done: false, loading: false, error: "" });
export const counts = signal({});
let generation = 0;

export async function loadPage(reset = false) {
  const state = list.value;
  if (!reset && (state.loading || state.done)) return;
  const mine = ++generation;
  const key = currentView.value;
  list.value = reset ? { ids: [], cursor: null, done: false, loading: true, error: "" } : { ...state, loading: true, error: "" };
  try {
    const { params } = view(key);
    const page = await api("GET", `conversations${query({ ...params, limit: PAGE, cursor: reset ? null : state.cursor })}`);
    if (mine !== generation) return;
    remember(page.conversations);
    const ids = reset ? [] : list.value.ids;
    const known = new Set(ids);
    list.value = {
      ids: [...ids, ...page.conversations.map((c) => c.id).filter((id) => !known.has(id))],
      cursor: page.next_cursor, done: !page.next_cursor, loading: false, error: "",
    };
  } catch (error) {
    if (mine === generation) list.value = { ...list.value, loading: false, error: error.message };
  }
}

/** Mine and the queue as numbers ("200+" past one page of 200). */
export async function refreshCounts() {
  try {
    const queue = await api("GET", `conversations${query({ status: ["queued"], limit: 200 })}`);
    counts.value = { ...counts.value, queue: queue.conversations.length + (queue.next_cursor ? "+" : "") };
  } catch { /* the count is a hint; the list says the error */ }
}

/** A live assignment or message: the row moves to the top of the views it belongs to. */
export function liveRow(event) {
  if (event.type === "assignment" || (event.type === "message" && conversations.value.has(event.conversation_id))) {
    if (event.type === "message" && !list.value.ids.includes(event.conversation_id)) return;
    if (event.type === "assignment" && !takesAssignment(currentView.value)) return;
    const ids = list.value.ids.filter((id) => id !== event.conversation_id);
    list.value = { ...list.value, ids: [event.conversation_id, ...ids] };
  }
}

export function select(key) {
  currentView.value = key;
  if (key !== "offers") loadPage(true);
}

function RailItem({ k, label, count }) {
  const active = currentView.value === k;
  return html`<li><button class=${`rail-item${active ? " active" : ""}`} aria-current=${active ? "page" : undefined}
    onClick=${() => select(k)}><span>${label}</span>${count !== undefined && count !== "" &&
      html`<span class="count">${typeof count === "number" ? number(count) : count}</span>`}</button></li>`;
}

function Group({ title, items }) {
  return html`<details class="rail-group"><summary>${title}</summary><ul>${items}</ul></details>`;
}

export function Rail() {
  const [tag, setTag] = useState("");
  return html`<nav class="rail" aria-label=${t("views")}>
    <ul>
      <${RailItem} k="mine" label=${t("mine")} count=${me.value?.open_conversations} />
      <${RailItem} k="queue" label=${t("queue")} count=${counts.value.queue} />
      <${RailItem} k="offers" label=${t("offers")} count=${offers.value.size || ""} />
      <${RailItem} k="all" label=${t("all")} />
    </ul>
    <${Group} title=${t("byStatus")} items=${STATUSES.map((s) => html`<${RailItem} k=${`status:${s}`} label=${t(s)} />`)} />
    <${Group} title=${t("byChannel")} items=${CHANNELS.map((s) => html`<${RailItem} k=${`channel:${s}`} label=${t(s)} />`)} />
    <${Group} title=${t("byPriority")} items=${PRIORITIES.map((s) => html`<${RailItem} k=${`priority:${s}`} label=${t(s)} />`)} />
    <${Group} title=${t("byCategory")} items=${CATEGORIES.map((s) => html`<${RailItem} k=${`category:${s}`} label=${category(s)} />`)} />
    <details class="rail-group"><summary>${t("byTag")}</summary>
      <label class="sr-only" for="rail-tag">${t("byTag")}</label>
      <input id="rail-tag" class="rail-tag" placeholder=${t("tagPlaceholder")} value=${tag}
        onInput=${(e) => setTag(e.currentTarget.value)}
        onKeyDown=${(e) => e.key === "Enter" && tag.trim() && select(`tag:${tag.trim().toLowerCase()}`)} />
    </details>
  </nav>`;
}

const OPEN = new Set(["queued", "assigned"]);

/** The row's SLA clock: a live warning or breach if one came, else the nearest of the router's
 * due times the list gave (first response until the first reply, resolution until resolved). */
export function rowClock(id, row, at) {
  const heard = slaState(id, at);
  if (heard || !OPEN.has(row.status)) return heard;
  const clocks = [];
  if (!row.first_response_at && row.first_response_due) {
    clocks.push({ due: row.first_response_due, warned: row.first_response_warned, breached: row.first_response_breached });
  }
  if (row.resolution_due) clocks.push({ due: row.resolution_due, warned: row.resolution_warned, breached: row.resolution_breached });
  if (!clocks.length) return null;
  const next = clocks.reduce((a, b) => (new Date(b.due) < new Date(a.due) ? b : a));
  const left = new Date(next.due).getTime() - at;
  return { left, state: next.breached || left <= 0 ? "breached" : next.warned ? "warning" : "ok" };
}

/** The row's first line: the newest message as the list gave it, or a customer message heard since. */
function firstLine(id, row) {
  const heard = previews.value.get(id);
  if (heard) return heard;
  const last = row.last_message;
  if (!last) return "";
  const text = (last.text || "").split("\n")[0] || (last.kind !== "text" ? t(`msg_${last.kind}`) : "");
  const from = last.sender === "customer" ? "" : last.sender === "bot" ? t("fromBot")
    : row.agent_id === me.value?.id ? t("fromAgent") : t("fromOtherAgent");
  return text && `${from}${text}`;
}

function Row({ id, index, total }) {
  const row = conversations.value.get(id);
  if (!row) return null;
  const clock = rowClock(id, row, now.value);
  const isUnread = unread.value.has(id);
  const preview = firstLine(id, row);
  return html`<li class="row-slot" style=${{ top: `${index * ROW_H}px`, height: `${ROW_H}px` }}
      aria-setsize=${total} aria-posinset=${index + 1}>
    <a href=${`#/c/${id}`} class=${`row${openId.value === id ? " open" : ""}${isUnread ? " unread" : ""}`}
      data-id=${id} aria-current=${openId.value === id ? "true" : undefined}>
      <span class="row-top">
        <${ChannelIcon} channel=${row.channel} />
        <span class="row-who">${who(row)}</span>
        ${isUnread && html`<span class="dot" role="img" aria-label=${t("unread")}></span>`}
        <span class="row-age">${age(row.updated_at || row.created_at, now.value)}</span>
      </span>
      <span class="row-meta">
        <${Priority} priority=${row.priority} />
        <span class="badge">${category(row.category)}</span>
        ${row.status !== "assigned" && html`<span class="badge status">${t(row.status)}</span>`}
        ${(row.tags || []).slice(0, 2).map((tag) => html`<span class="badge tag">#${tag}</span>`)}
        ${clock && html`<span class=${`sla sla-${clock.state}`}>
          ${clock.state === "breached" ? `${t("slaBreached")} ${countdown(clock.left)}` : t("slaDue", { t: countdown(clock.left) })}</span>`}
      </span>
      ${preview && html`<span class="row-preview">${preview}</span>`}
    </a>
  </li>`;
}

/** Only the rows in sight (and a few either side) are in the DOM; the rest is a tall spacer. */
export function ConversationList() {
  const box = useRef(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    const observer = new ResizeObserver(() => box.current && setHeight(box.current.clientHeight));
    observer.observe(box.current);
    return () => observer.disconnect();
  }, []);
  if (currentView.value === "offers") return html`<${Offers} />`;
  const { params, keeps } = view(currentView.value);
  void params;
  const ids = list.value.ids.filter((id) => conversations.value.has(id) && keeps(conversations.value.get(id)));
  const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
  const last = Math.min(ids.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
  function onScroll(e) {
    setTop(e.currentTarget.scrollTop);
    if (e.currentTarget.scrollTop + e.currentTarget.clientHeight > ids.length * ROW_H - ROW_H * 10) loadPage();
  }
  const state = list.value;
  return html`<section class="list" aria-label=${t("conversations")}>
    <h2 class="list-title">${t("conversations")}</h2>
    ${state.error && html`<p class="list-error" role="alert">${t("loadFailed", { error: state.error })}
      <button onClick=${() => loadPage(true)}>${t("retry")}</button></p>`}
    ${!state.loading && !state.error && !ids.length &&
      html`<p class="empty">${currentView.value === "mine" ? t("emptyMine") : t("emptyView")}</p>`}
    <div class="list-scroll" ref=${box} onScroll=${onScroll} tabindex="-1">
      <ul class="rows" style=${{ height: `${ids.length * ROW_H}px` }} aria-busy=${state.loading ? "true" : "false"}>
        ${ids.slice(first, last).map((id, i) => html`<${Row} key=${id} id=${id} index=${first + i} total=${ids.length} />`)}
      </ul>
      ${state.loading && html`<p class="loading">${ids.length ? t("loadMore") : t("loading")}</p>`}
    </div>
  </section>`;
}

function Offers() {
  const items = offerList.value.filter((o) => new Date(o.expires_at).getTime() > now.value);
  return html`<section class="list" aria-label=${t("offers")}>
    <h2 class="list-title">${t("offers")}</h2>
    ${!items.length && html`<p class="empty">${t("emptyOffers")}</p>`}
    <ul class="offers">${items.map((o) => html`<${Offer} key=${o.conversation_id} offer=${o} />`)}</ul>
  </section>`;
}

function Offer({ offer }) {
  const left = Math.max(0, Math.ceil((new Date(offer.expires_at).getTime() - now.value) / 1000));
  const answer = (verb) => api("POST", `conversations/${offer.conversation_id}/${verb}`).catch(() => {});
  return html`<li class="offer">
    <span class="row-top"><${ChannelIcon} channel=${offer.channel} /><span class="row-who">${who(offer)}</span>
      <span class="countdown" aria-live="off">${t("offerExpires", { s: left })}</span></span>
    <span class="row-preview">${offer.preview}</span>
    <span class="row-meta"><${Priority} priority=${offer.priority} /><span class="badge">${category(offer.category)}</span></span>
    <span class="offer-actions">
      <button class="primary" onClick=${() => answer("accept")}>${t("accept")}</button>
      <button onClick=${() => answer("decline")}>${t("decline")}</button>
    </span>
  </li>`;
}

