// The audit log (admins: paged, filtered) and unmasking a message with a reason (supervisors): the
// unmasked text is shown once, in a dialog, and forgotten when it closes; the API audits the read.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./ui.js";
import { t, formatDate } from "./i18n.js";
import { api, query } from "./api.js";
import { errorText, Field } from "./figures.js";

const PAGE = 50;
const UUID = /^[0-9a-f-]{36}$/i;

export function Audit() {
  const [filter, setFilter] = useState({ action: "", actor_id: "", conversation_id: "", start: "", end: "" });
  const [pages, setPages] = useState([null]); // the `after` of each page seen, for going back
  const [page, setPage] = useState({ entries: [], next_after: null });
  const [error, setError] = useState("");
  const after = pages[pages.length - 1];
  async function load(at = after) {
    setError("");
    const f = filter;
    try {
      setPage(await api("GET", `admin/audit${query({ action: f.action.trim(), actor_id: f.actor_id.trim(), conversation_id: f.conversation_id.trim(),
        from: f.start ? new Date(f.start).toISOString() : "", to: f.end ? new Date(f.end).toISOString() : "", limit: PAGE, after: at })}`));
    } catch (e) { setError(errorText(e)); }
  }
  useEffect(() => { load(); }, [after]);
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.currentTarget.value });
  const input = (k, type = "text") => html`<${Field} id=${`au-${k}`} label=${t(`audit_${k}`)}>
    <input id=${`au-${k}`} type=${type} value=${filter[k]} onInput=${set(k)} /></${Field}>`;
  return html`<div class="screen audit" data-testid="audit">
    <header class="screen-head"><h1>${t("audit")}</h1></header>
    <form class="card range" onSubmit=${(e) => { e.preventDefault(); setPages([null]); load(null); }}>
      ${input("action")}${input("actor_id")}${input("conversation_id")}${input("start", "datetime-local")}${input("end", "datetime-local")}
      <button type="submit">${t("filter")}</button></form>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    <section class="card"><table class="grid-table" data-testid="audit-entries"><thead><tr><th scope="col">${t("when")}</th>
      <th scope="col">${t("who")}</th><th scope="col">${t("audit_action")}</th><th scope="col">${t("reason")}</th>
      <th scope="col">${t("details")}</th></tr></thead>
      <tbody>${page.entries.map((e) => html`<tr key=${e.id}><td>${formatDate(e.at)}</td>
        <td>${e.actor_name || t("none")} <span class="muted">${e.actor_role}</span></td><td>${e.action}</td><td>${e.reason}</td>
        <td class="detail-json">${[e.conversation_id && `${t("conversationShort")} ${e.conversation_id}`, e.message_id && `msg ${e.message_id}`,
          Object.keys(e.detail || {}).length ? JSON.stringify(e.detail) : ""].filter(Boolean).join(" · ")}</td></tr>`)}</tbody></table>
      ${!page.entries.length && html`<p class="empty">${t("noAudit")}</p>`}
      <div class="pager"><button disabled=${pages.length < 2} onClick=${() => setPages(pages.slice(0, -1))}>${t("newer")}</button>
        <button disabled=${!page.next_after} onClick=${() => setPages([...pages, page.next_after])}>${t("older")}</button></div>
    </section>
  </div>`;
}

function Reveal({ message, onClose }) {
  const [reason, setReason] = useState("");
  const [shown, setShown] = useState(null);
  const [error, setError] = useState("");
  const first = useRef(null);
  useEffect(() => { first.current?.focus(); }, []);
  async function ask(e) {
    e.preventDefault();
    try { setShown((await api("POST", `messages/${message.id}/unmask`, { reason: reason.trim() })).text); }
    catch (err) { setError(errorText(err)); }
  }
  return html`<div class="backdrop" onKeyDown=${(e) => e.key === "Escape" && onClose()}>
    <div class="dialog wide" role="dialog" aria-modal="true" aria-labelledby="unmask-title">
      <h3 id="unmask-title">${t("unmaskTitle")}</h3>
      ${shown === null ? html`<form onSubmit=${ask}>
          <p>${t("unmaskConsequence")}</p>
          <${Field} id="unmask-reason" label=${t("reason")}><textarea id="unmask-reason" ref=${first} required minlength="3" maxlength="500"
            rows="2" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)}></textarea></${Field}>
          ${error && html`<p class="form-error" role="alert">${error}</p>`}
          <div class="dialog-actions"><button type="button" onClick=${onClose}>${t("cancel")}</button>
            <button type="submit" class="primary">${t("unmask")}</button></div></form>`
        : html`<p class="muted">${t("shownOnce")}</p><p class="secret" data-testid="unmasked">${shown}</p>
          <div class="dialog-actions"><button class="primary" ref=${first} onClick=${onClose}>${t("close")}</button></div>`}
    </div></div>`;
}

export function Unmask() {
  const [id, setId] = useState("");
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState("");
  const [open, setOpen] = useState(null);
  async function find(e) {
    e.preventDefault();
    setError(""); setDetail(null);
    if (!UUID.test(id.trim())) { setError(t("badConversationId")); return; }
    try { setDetail(await api("GET", `conversations/${id.trim()}`)); } catch (err) { setError(errorText(err)); }
  }
  const messages = (detail?.messages || []).filter((m) => m.direction === "in");
  return html`<div class="screen unmask" data-testid="unmask">
    <header class="screen-head"><h1>${t("unmask")}</h1></header>
    <form class="card range" onSubmit=${find}>
      <${Field} id="um-conversation" label=${t("conversationId")}><input id="um-conversation" value=${id} size="40"
        onInput=${(e) => setId(e.currentTarget.value)} /></${Field}><button type="submit">${t("showMessages")}</button></form>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${detail && html`<section class="card"><ul class="broadcast-list">${messages.map((m) => html`<li key=${m.id} class="sla-event">
      <span class="muted">${formatDate(m.created_at)}</span><span class="masked-text">${m.text}</span>
      <button onClick=${() => setOpen(m)}>${t("unmask")}</button></li>`)}</ul>
      ${!messages.length && html`<p class="empty">${t("noCustomerMessages")}</p>`}</section>`}
    ${open && html`<${Reveal} message=${open} onClose=${() => setOpen(null)} />`}
  </div>`;
}
