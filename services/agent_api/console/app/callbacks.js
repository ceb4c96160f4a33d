// Callbacks (回访): the agent's own callbacks (overdue first, then due, then upcoming) and the
// unassigned pool, a count in the header, the route #/callbacks[/<id>], and live refresh from the
// stream's callback events. The chosen callback is prepared and worked in callback-detail.js.
import { useEffect } from "preact/hooks";
import { signal, computed } from "@preact/signals";
import { html, ChannelIcon, who } from "./ui.js";
import { t, formatDate, age, category, number } from "./i18n.js";
import { api, query, session } from "./api.js";
import { now } from "./store.js";
import { errorText } from "./figures.js";
import "./callback-words.js";
import { CallbackDetail, detailVersion, detailEvent } from "./callback-detail.js";

const ROUTE = /^#\/callbacks(?:\/([0-9a-f-]{36}))?$/;
const routeOf = (hash) => { const m = hash.match(ROUTE); return m ? { id: m[1] || null } : null; };

export const callbacksOpen = signal(routeOf(location.hash));
const lists = signal({ mine: [], pool: [], loaded: false, error: "" });

const isDue = (row, at) => new Date(row.due_at).getTime() <= at;

/** My open callbacks split as the agent works them: overdue (escalated), due now, upcoming. */
const mine = computed(() => {
  const at = Math.floor(now.value / 10000) * 10000; // re-split every 10 s, not every tick
  const rows = lists.value.mine;
  return {
    overdue: rows.filter((r) => r.overdue),
    due: rows.filter((r) => !r.overdue && isDue(r, at)),
    upcoming: rows.filter((r) => !r.overdue && !isDue(r, at)),
  };
});

export const callbackCounts = computed(() => ({ due: mine.value.due.length, overdue: mine.value.overdue.length }));

let loading = null;
export async function loadCallbacks() {
  if (loading) return loading;
  loading = (async () => {
    try {
      const [own, pool] = await Promise.all([
        api("GET", `callbacks${query({ agent_id: "me", state: "open", limit: 200 })}`),
        api("GET", `callbacks${query({ agent_id: "none", state: "open", limit: 200 })}`),
      ]);
      lists.value = { mine: own.callbacks, pool: pool.callbacks, loaded: true, error: "" };
    } catch (e) {
      lists.value = { ...lists.value, loaded: true, error: errorText(e) };
    } finally { loading = null; }
  })();
  return loading;
}

let timer;
/** A callback event from the stream: refresh the lists (once for a burst) and the open detail. */
export function callbackEvent(event) {
  const about = event.callback_id && (event.type.startsWith("callback_") || event.type === "command_rejected");
  if (!about) return;
  detailEvent(event);
  clearTimeout(timer);
  timer = setTimeout(() => { loadCallbacks(); detailVersion.value += 1; }, 200);
}

/** The header's link to the screen with how many are due and overdue. */
export function CallbacksLink() {
  useEffect(() => {
    const route = () => { callbacksOpen.value = routeOf(location.hash); };
    window.addEventListener("hashchange", route);
    loadCallbacks();
    const refresh = setInterval(loadCallbacks, 60000); // due times pass without an event for the pool
    return () => { window.removeEventListener("hashchange", route); clearInterval(refresh); };
  }, []);
  const { due, overdue } = callbackCounts.value;
  const on = Boolean(callbacksOpen.value);
  // Supervisors have the inbox link in their navigation; agents get it here, beside the callbacks.
  const inbox = session.value?.agent?.role === "agent" && html`<a href="#/" class=${`nav-link${on ? "" : " on"}`}
    aria-current=${on ? undefined : "page"}>${t("inbox")}</a>`;
  return html`${inbox}<a href="#/callbacks" class=${`nav-link callbacks-link${on ? " on" : ""}`} aria-current=${on ? "page" : undefined}
    data-testid="callbacks-link" aria-label=${t("callbacksCount", { due, overdue })}>${t("callbacks")}
    ${due + overdue > 0 && html`<span class=${`cb-count${overdue ? " bad" : ""}`} aria-hidden="true">${number(due + overdue)}</span>`}</a>`;
}

function Row({ row, selected }) {
  const at = now.value;
  const state = row.overdue ? "overdue" : isDue(row, at) ? "due" : "upcoming";
  const label = { overdue: t("cbOverdue"), due: t("cbDueNow"), upcoming: t("cbUpcoming") }[state];
  return html`<li><a href=${`#/callbacks/${row.id}`} class=${`cb-row cb-${state}${selected ? " on" : ""}`}
      aria-current=${selected ? "true" : undefined} data-testid="callback-row" data-state=${state}>
    <span class="cb-row-top"><${ChannelIcon} channel=${row.channel} /><strong class="cb-name">${who(row)}</strong>
      <span class=${`cb-badge cb-badge-${state}`}>${label}</span></span>
    <span class="cb-reason">${row.reason}</span>
    <span class="cb-meta"><span>${category(row.category)}</span>
      <time datetime=${row.due_at} title=${formatDate(row.due_at)}>${isDue(row, at) ? age(row.due_at, at) : t("cbDue", { t: formatDate(row.due_at) })}</time>
      ${row.attempts > 0 && html`<span>${t("cbAttempts", { n: row.attempts })}</span>`}</span>
  </a></li>`;
}

function Section({ title, rows, selected, tone, empty, testid }) {
  if (!rows.length && !empty) return null;
  const id = `cb-sec-${testid}`;
  return html`<section class=${`cb-section${tone ? ` ${tone}` : ""}`} aria-labelledby=${id} data-testid=${`cb-${testid}`}>
    <h2 id=${id}>${title} <span class="cb-section-count">${number(rows.length)}</span></h2>
    ${rows.length ? html`<ul>${rows.map((r) => html`<${Row} key=${r.id} row=${r} selected=${r.id === selected} />`)}</ul>`
      : html`<p class="empty">${empty}</p>`}
  </section>`;
}

export function CallbacksScreen() {
  useEffect(() => { loadCallbacks(); }, []);
  const selected = callbacksOpen.value?.id || null;
  const state = lists.value, split = mine.value;
  const nothingMine = !split.overdue.length && !split.due.length && !split.upcoming.length;
  return html`<main class="screen-pane" id="screen"><div class=${`screen callbacks${selected ? " has-open" : ""}`} data-testid="callbacks">
    <header class="screen-head"><h1>${t("callbacks")}</h1></header>
    <div class="cb-panes">
      <nav class="cb-list" aria-label=${t("callbacks")}>
        ${state.error && html`<p class="form-error" role="alert">${t("loadFailed", { error: state.error })}</p>`}
        ${!state.loaded ? html`<p class="loading">${t("loading")}</p>` : html`
          <${Section} title=${t("cbOverdue")} rows=${split.overdue} selected=${selected} tone="bad" testid="overdue" />
          <${Section} title=${t("cbDueNow")} rows=${split.due} selected=${selected} tone="warn" testid="due"
            empty=${nothingMine ? t("cbEmptyMine") : ""} />
          <${Section} title=${t("cbUpcoming")} rows=${split.upcoming} selected=${selected} testid="upcoming" />
          <${Section} title=${t("cbPool")} rows=${state.pool} selected=${selected} testid="pool" empty=${t("cbEmptyPool")} />`}
      </nav>
      <section class="cb-detail" aria-label=${t("cbPrepare")}>
        ${selected ? html`<${CallbackDetail} key=${selected} id=${selected} />` : html`<p class="pick">${t("cbPick")}</p>`}
      </section>
    </div>
  </div></main>`;
}
