// One callback, prepared for the call: who, why, the application's details, the history; claim it,
// reveal the number to dial (after a confirm; audited by the API), and record how the call went.
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { html, ChannelIcon, who } from "./ui.js";
import { t, formatDate, category } from "./i18n.js";
import { api, session } from "./api.js";
import { now } from "./store.js";
import { errorText, Field } from "./figures.js";
import { Confirm } from "./broadcast-form.js";

export const detailVersion = signal(0); // bumped when a stream event may have changed the open callback
const rejected = signal(null); // {callback_id, reason} of the last refused command

export function detailEvent(event) {
  if (event.type === "command_rejected") rejected.value = { id: event.callback_id, reason: event.reason };
}

const OUTCOMES = ["reached", "no_answer", "wrong_number", "reschedule", "resolved"];
const canSupervise = () => ["supervisor", "admin"].includes(session.value?.agent?.role);

function Reveal({ cb }) {
  const [asking, setAsking] = useState(false);
  const [number, setNumber] = useState(null);
  const [error, setError] = useState("");
  async function reveal() {
    setAsking(false); setError("");
    try { setNumber(await api("POST", `callbacks/${cb.id}/reveal`)); } catch (e) { setError(errorText(e)); }
  }
  if (number) {
    return html`<a class="cb-tel primary-link" href=${number.tel} data-testid="callback-tel">${t("cbCall", { phone: number.phone })}</a>`;
  }
  if (new Date(cb.due_at).getTime() > now.value) return html`<p class="hint">${t("cbRevealNotDue")}</p>`;
  return html`<span><button class="primary" onClick=${() => setAsking(true)} data-testid="callback-reveal">${t("cbReveal")}</button>
    ${error && html`<span class="form-error" role="alert">${error}</span>`}
    ${asking && html`<${Confirm} title=${t("cbRevealTitle")} text=${t("cbRevealText")} yes=${t("cbReveal")} no=${t("cancel")}
      onYes=${reveal} onNo=${() => setAsking(false)} />`}</span>`;
}

/** A `datetime-local` value an hour from now, in the browser's zone. */
function inAnHour() {
  const later = new Date(Date.now() + 3600 * 1000);
  later.setMinutes(later.getMinutes() - later.getTimezoneOffset());
  return later.toISOString().slice(0, 16);
}

function OutcomeForm({ cb, onSaved }) {
  const [outcome, setOutcome] = useState("");
  const [note, setNote] = useState("");
  const [at, setAt] = useState(inAnHour());
  const [state, setState] = useState({});
  async function save(e) {
    e.preventDefault();
    if (!outcome) { setState({ error: t("cbPickOutcome") }); return; }
    const body = { outcome, note };
    if (outcome === "reschedule") {
      const when = new Date(at);
      if (Number.isNaN(when.getTime()) || when.getTime() <= Date.now()) { setState({ error: t("cbPickTime") }); return; }
      body.reschedule_at = when.toISOString();
    }
    setState({ busy: true });
    try { await api("POST", `callbacks/${cb.id}/outcome`, body); setState({ ok: t("cbSaved") }); setNote(""); onSaved(); }
    catch (err) { setState({ error: errorText(err) }); }
  }
  return html`<form class="card cb-outcome" onSubmit=${save} data-testid="callback-outcome">
    <fieldset><legend>${t("cbOutcome")}</legend>
      <div class="cb-choices">${OUTCOMES.map((o) => html`<label class=${`cb-choice${outcome === o ? " on" : ""}`}>
        <input type="radio" name="outcome" value=${o} checked=${outcome === o} onChange=${() => setOutcome(o)} /> ${t(`out_${o}`)}</label>`)}</div>
    </fieldset>
    ${outcome === "reschedule" && html`<${Field} id="cb-at" label=${t("cbRescheduleAt")}>
      <input id="cb-at" type="datetime-local" required value=${at} onInput=${(e) => setAt(e.currentTarget.value)} /></${Field}>`}
    <${Field} id="cb-note" label=${t("cbOutcomeNote")}><textarea id="cb-note" rows="3" maxlength="2000" value=${note}
      onInput=${(e) => setNote(e.currentTarget.value)}></textarea></${Field}>
    ${state.error && html`<p class="form-error" role="alert">${state.error}</p>`}
    ${state.ok && html`<p class="ok-note" role="status">${state.ok}</p>`}
    <div class="dialog-actions"><button type="submit" class="primary" disabled=${state.busy}>${t("cbSave")}</button></div>
  </form>`;
}

function Facts({ cb }) {
  const details = Object.entries(cb.details || {});
  return html`<dl class="cb-facts">
    <div><dt>${t("cbReason")}</dt><dd>${cb.reason}</dd></div>
    <div><dt>${t("cbSource")}</dt><dd>${t(`src_${cb.source}`)}${cb.application_id ? ` · ${cb.application_type || t("cbApplication")} ${cb.application_id}` : ""}</dd></div>
    ${details.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}
    ${cb.note && html`<div><dt>${t("cbNote")}</dt><dd class="cb-note">${cb.note}</dd></div>`}
  </dl>`;
}

function History({ entries }) {
  return html`<section class="card"><h2>${t("cbHistory")}</h2><ol class="cb-history">
    ${entries.map((h, n) => html`<li key=${n}><time datetime=${h.at}>${formatDate(h.at)}</time>
      <strong>${t(`hist_${h.event}`)}</strong>${h.result && html` · ${t(`res_${h.result}`)}`}
      ${h.due_at && ["rescheduled", "no_answer"].includes(h.event) && html` · ${t("cbDue", { t: formatDate(h.due_at) })}`}
      ${h.note && html`<p class="cb-note">${h.note}</p>`}</li>`)}</ol></section>`;
}

export function CallbackDetail({ id }) {
  const [cb, setCb] = useState(null);
  const [error, setError] = useState("");
  const [claim, setClaim] = useState("");
  const load = () => api("GET", `callbacks/${id}`).then((r) => { setCb(r); setError(""); }).catch((e) => setError(errorText(e)));
  useEffect(() => { load(); }, [id, detailVersion.value]);
  if (error) return html`<p class="form-error" role="alert">${t("loadFailed", { error })}</p>`;
  if (!cb) return html`<p class="loading">${t("loading")}</p>`;
  const me = session.value?.agent?.id;
  const mine = cb.assigned_agent_id === me, open = cb.state !== "closed";
  const refusal = rejected.value?.id === cb.id ? rejected.value.reason : "";
  async function doClaim() {
    try { await api("POST", `callbacks/${cb.id}/claim`); setClaim(t("cbClaimed")); } catch (e) { setClaim(errorText(e)); }
  }
  return html`<article class="cb-card" data-testid="callback-detail">
    <a class="cb-back" href="#/callbacks">${t("cbBack")}</a>
    <header class="cb-head"><${ChannelIcon} channel=${cb.channel} /><h2>${who(cb)}</h2>
      <span class="cb-address">${cb.customer_name ? cb.customer_address : ""}</span>
      <span class="badge">${category(cb.category)}</span>
      ${cb.overdue && open && html`<span class="cb-badge cb-badge-overdue">${t("cbOverdue")}</span>`}
      ${!open && html`<span class="cb-badge">${t("cbClosed")}${cb.result ? ` · ${t(`res_${cb.result}`)}` : ""}</span>`}</header>
    <p class="cb-when"><time datetime=${cb.due_at}>${t("cbDue", { t: formatDate(cb.due_at) })}</time>
      ${cb.attempts > 0 && html` · ${t("cbAttempts", { n: cb.attempts })}`}
      · ${mine ? t("cbMine") : cb.assigned_agent_id ? t("cbNotYours") : t("cbUnassigned")}</p>
    ${refusal && html`<p class="form-error" role="alert">${t("cbRejected", { r: refusal })}</p>`}
    <div class="cb-actions">
      ${open && !cb.claimed && (mine || !cb.assigned_agent_id) && html`<button onClick=${doClaim} data-testid="callback-claim">${t("cbClaim")}</button>`}
      ${claim && html`<span class="ok-note" role="status">${claim}</span>`}
      ${open && (mine || canSupervise()) && html`<${Reveal} key=${cb.id} cb=${cb} />`}
      ${cb.links.conversation && html`<a href=${`#/c/${cb.conversation_id}`}>${t("cbOpenConversation")}</a>`}
    </div>
    <section class="card"><h2>${t("cbPrepare")}</h2><${Facts} cb=${cb} /></section>
    ${open && mine && html`<${OutcomeForm} cb=${cb} onSaved=${load} />`}
    <${History} entries=${cb.history} />
  </article>`;
}
