// Broadcasts: the list with progress bars per channel (queued/sent/delivered/failed/skipped),
// pause/resume/cancel, and the form to create one (broadcast-form.js).
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { html } from "./ui.js";
import { t, number, formatDate } from "./i18n.js";
import { api } from "./api.js";
import { errorText } from "./figures.js";
import { BroadcastForm, Confirm } from "./broadcast-form.js";

const OUTCOMES = ["delivered", "sent", "failed", "skipped", "held", "queued"];
const ACTIVE = ["scheduled", "planning", "sending", "paused"];
const POLL_MS = 2000;
const DETAILS = 20; // progress is read for the newest 20; older ones are finished history

export const items = signal({ list: [], views: {}, error: "", loaded: false });
let expectUntil = 0; // a new broadcast is a command: the notifier lists it a moment later
let lastLoad = 0;

export async function loadBroadcasts() {
  lastLoad = Date.now();
  try {
    const { broadcasts } = await api("GET", "broadcasts");
    const wanted = broadcasts.slice(0, DETAILS);
    const views = await Promise.all(wanted.map((b) => api("GET", `broadcasts/${b.id}`).catch(() => null)));
    items.value = { list: broadcasts, views: Object.fromEntries(wanted.map((b, i) => [b.id, views[i]])), error: "", loaded: true };
  } catch (error) {
    items.value = { ...items.value, error: errorText(error), loaded: true };
  }
}

/** Share of recipients with a final outcome (sent counts: the channel took it). */
function done(counts) {
  const total = OUTCOMES.reduce((n, k) => n + (counts[k] || 0), 0);
  const final = ["delivered", "sent", "failed", "skipped"].reduce((n, k) => n + (counts[k] || 0), 0);
  return { total, pct: total ? Math.floor((100 * final) / total) : 0 };
}

function Stack({ channel, counts }) {
  const { total, pct } = done(counts);
  const words = OUTCOMES.filter((k) => counts[k]).map((k) => `${t(`out_${k}`)} ${number(counts[k])}`).join(", ");
  return html`<div class="progress-row" data-testid=${`progress-${channel}`}>
    <span>${t(channel)}</span>
    <span class="stack" role="progressbar" aria-label=${`${t(channel)}: ${words}`} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
      ${OUTCOMES.map((k) => counts[k] ? html`<span class=${`seg-${k}`} style=${{ width: `${(100 * counts[k]) / total}%` }}
        title=${`${t(`out_${k}`)}: ${number(counts[k])}`}></span>` : null)}
    </span>
    <span class="num pct">${pct} %</span>
  </div>`;
}

function Controls({ b }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState("");
  const act = async (action) => {
    setError("");
    try { await api("POST", `broadcasts/${b.id}/${action}`); } catch (e) { setError(errorText(e)); }
    setAsking(false);
    setTimeout(loadBroadcasts, 400);
  };
  return html`<div class="row-actions">
    ${["scheduled", "planning", "sending"].includes(b.state) && html`<button onClick=${() => act("pause")}>${t("pause")}</button>`}
    ${b.state === "paused" && html`<button onClick=${() => act("resume")}>${t("resume")}</button>`}
    ${ACTIVE.includes(b.state) && html`<button onClick=${() => setAsking(true)}>${t("cancelBroadcast")}</button>`}
    ${error && html`<span class="form-error" role="alert">${error}</span>`}
    ${asking && html`<${Confirm} title=${t("cancelBroadcast")} text=${t("cancelConsequence", { name: b.name })}
      yes=${t("cancelBroadcast")} no=${t("keepSending")} onYes=${() => act("cancel")} onNo=${() => setAsking(false)} />`}
  </div>`;
}

function Broadcast({ b, view }) {
  const channels = Object.entries(view?.progress?.by_channel || {});
  const sms = view?.estimate?.sms;
  const reasons = Object.entries(view?.progress?.reasons || {});
  return html`<li class="card broadcast" data-testid="broadcast">
    <div class="card-head"><h2>${b.name}</h2><span class=${`state state-${b.state}`}>${t(`state_${b.state}`)}</span></div>
    <p class="muted">${t("sendAtWord", { t: formatDate(b.send_at) })} · ${t("plannedWord", { n: number(b.planned) })}
      ${sms?.recipients ? ` · ${t("smsCostSoFar", { cost: sms.cost, n: number(sms.recipients) })}` : ""}</p>
    ${channels.length ? html`<div class="progress">${channels.map(([c, counts]) => html`<${Stack} key=${c} channel=${c} counts=${counts} />`)}</div>`
      : html`<p class="hint">${t(ACTIVE.includes(b.state) ? "notPlannedYet" : "noRecipients")}</p>`}
    ${reasons.length > 0 && html`<p class="hint">${t("skippedWhy")} ${reasons.map(([r, n]) => `${r} ${number(n)}`).join(", ")}</p>`}
    <${Controls} b=${b} />
  </li>`;
}

function Legend() {
  return html`<ul class="keys" aria-hidden="true">${OUTCOMES.map((k) => html`<li>
    <span class=${`swatch seg-${k}`}></span>${t(`out_${k}`)}</li>`)}</ul>`;
}

export function Broadcasts() {
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    loadBroadcasts();
    const timer = setInterval(() => {
      const busy = items.value.list.some((b) => ACTIVE.includes(b.state)) || Date.now() < expectUntil;
      if (busy || Date.now() - lastLoad > 15_000) loadBroadcasts();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  const state = items.value;
  return html`<div class="screen broadcasts" data-testid="broadcasts">
    <header class="screen-head"><h1>${t("broadcasts")}</h1>
      <div class="actions"><button class="primary" onClick=${() => setCreating(true)} aria-expanded=${creating}>${t("newBroadcast")}</button></div></header>
    ${creating && html`<${BroadcastForm} onDone=${() => { setCreating(false); expectUntil = Date.now() + 30_000; loadBroadcasts(); }} onCancel=${() => setCreating(false)} />`}
    ${state.error && html`<p class="form-error" role="alert">${t("loadFailed", { error: state.error })}</p>`}
    ${!state.loaded && html`<p class="loading">${t("loading")}</p>`}
    ${state.loaded && !state.list.length && html`<p class="empty">${t("noBroadcasts")}</p>`}
    ${state.list.length > 0 && html`<${Legend} />`}
    <ul class="broadcast-list">${state.list.map((b) => html`<${Broadcast} key=${b.id} b=${b} view=${state.views[b.id]} />`)}</ul>
  </div>`;
}
