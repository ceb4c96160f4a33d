// The open conversation: its header and actions (tags, transfer, resolve, reopen), history, composer.
import { useEffect, useState } from "preact/hooks";
import { html, ChannelIcon, Priority, who } from "./ui.js";
import { t, formatDate, category } from "./i18n.js";
import { api } from "./api.js";
import { openId, live, remember, markRead, toast, previews, conversations } from "./store.js";
import { Timeline } from "./timeline.js";
import { Composer } from "./composer.js";
import { CustomerPanel } from "./customer.js";

export function Conversation({ id }) {
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState("");
  const [pending, setPending] = useState([]);
  const [dialog, setDialog] = useState(null);
  const [showCustomer, setShowCustomer] = useState(() => matchMedia("(min-width: 1280px)").matches);

  async function load() {
    try {
      const body = await api("GET", `conversations/${id}`);
      setDetail(body);
      setError("");
      remember([{ ...body, messages: undefined, notes: undefined }]);
    } catch (err) {
      setError(err.message);
    }
  }

  useEffect(() => { setDetail(null); setPending([]); live.value = []; markRead(id); load(); }, [id]);

  // Live events for this conversation: new messages appended once, delivery states in place.
  useEffect(() => {
    if (!detail || !live.value.length) return;
    const events = live.value;
    live.value = [];
    // The router's FAQ picks come with each customer message: the chips follow the latest one.
    let messages = detail.messages, reload = false, suggestions = detail.faq_suggestions;
    for (const event of events) {
      if (event.type === "message") suggestions = event.faq_suggestions || [];
      if (event.type === "message" && event.kind !== "text" && !messages.some((m) => m.id === event.message_id)) {
        reload = true; // media: the event has no attachments, the detail lists them with their URLs
      } else if (event.type === "message" && !messages.some((m) => m.id === event.message_id)) {
        messages = [...messages, { id: event.message_id, direction: "in", kind: event.kind, text: event.text, attachments: [],
          agent_id: null, seq: null, created_at: event.occurred_at, delivery_status: null, delivery_reason: null }];
      } else if (event.type === "delivery") {
        const known = messages.some((m) => m.id === event.message_id);
        if (known) messages = messages.map((m) => (m.id === event.message_id ? { ...m, delivery_status: event.status, delivery_reason: event.reason || null } : m));
        else setPending((list) => list.map((p) => (p.id === event.message_id ? { ...p, delivery_status: event.status, delivery_reason: event.reason || null } : p)));
      } else if (["assignment", "resolved", "unassigned"].includes(event.type)) {
        reload = true;
      }
    }
    setDetail({ ...detail, messages, faq_suggestions: suggestions });
    markRead(id);
    if (reload) load();
  }, [detail, live.value]);

  async function act(path, body, after) {
    try {
      await api("POST", `conversations/${id}/${path}`, body);
      after?.();
    } catch (err) {
      toast.value = { kind: "error", key: "refused", vars: { r: err.message } };
    }
  }

  function retry(entry) {
    setPending((list) => list.filter((p) => p.id !== entry.id));
  }

  if (error) return html`<section class="conversation"><p class="list-error" role="alert">${t("loadFailed", { error })}
    <button onClick=${load}>${t("retry")}</button></p></section>`;
  if (!detail) return html`<section class="conversation"><p class="loading">${t("loading")}</p></section>`;
  const resolved = detail.status === "resolved";
  return html`<div class=${`work${showCustomer ? "" : " no-customer"}`}>
  <section class="conversation" aria-labelledby="conversation-title">
    <header class="conversation-head">
      <button class="back" onClick=${() => { openId.value = null; location.hash = ""; }}>← ${t("back")}</button>
      <${ChannelIcon} channel=${detail.channel} />
      <h2 id="conversation-title">${who(detail)}</h2>
      <${Priority} priority=${detail.priority} />
      <span class="badge">${category(detail.category)}</span>
      <span class="badge status">${t(detail.status)}</span>
      <span class="since">${formatDate(detail.created_at)}</span>
      <span class="actions">
        <button onClick=${() => setDialog("tag")}>${t("addTag")}</button>
        <button onClick=${() => setDialog("transfer")} disabled=${resolved}>${t("transfer")}</button>
        ${resolved
          ? html`<button class="primary" onClick=${() => act("reopen", {}, load)}>${t("reopen")}</button>`
          : html`<button class="primary" id="resolve" onClick=${() => act("resolve")}>${t("resolve")}</button>`}
        <button onClick=${() => setShowCustomer(!showCustomer)} aria-expanded=${showCustomer}>${t("customerPanel")}</button>
      </span>
    </header>
    <ul class="tags" aria-label=${t("tags")}>${detail.tags.map((tag) => html`<li key=${tag}>#${tag}
      <button aria-label=${`${t("remove")} ${tag}`} onClick=${async () => {
        const r = await api("DELETE", `conversations/${id}/tags/${encodeURIComponent(tag)}`).catch(() => null);
        setDetail({ ...detail, tags: r ? r.tags : detail.tags.filter((x) => x !== tag) });
      }}>×</button></li>`)}</ul>
    <div class="history"><${Timeline} detail=${detail} pending=${pending} onRetry=${retry} /></div>
    <${Composer} conversationId=${id} suggestions=${resolved ? [] : detail.faq_suggestions || []}
      onSent=${(message) => { setPending((list) => [...list, message]); sentFromHere(id, message); }}
      onNote=${(created) => setDetail({ ...detail, notes: [...detail.notes, created] })} />
    ${dialog === "tag" && html`<${TagDialog} onClose=${() => setDialog(null)} onSave=${async (tag) => {
      const r = await api("POST", `conversations/${id}/tags`, { tag });
      setDetail({ ...detail, tags: r.tags });
      setDialog(null);
    }} />`}
    ${dialog === "transfer" && html`<${TransferDialog} onClose=${() => setDialog(null)}
      onSave=${(body) => act("transfer", body, () => { setDialog(null); load(); })} />`}
  </section>
  ${showCustomer && html`<${CustomerPanel} conversationId=${id} />`}
  </div>`;
}

/** The list row follows a reply sent here: its first line, and the first-response clock stops. */
function sentFromHere(id, message) {
  const known = conversations.value.get(id);
  remember([{
    id, first_response_at: known?.first_response_at || message.at,
    last_message: { text: message.text, kind: "text", direction: "out", sender: "agent", at: message.at },
  }]);
  if (previews.value.has(id)) { const copy = new Map(previews.value); copy.delete(id); previews.value = copy; }
}

function Dialog({ title, onClose, onSubmit, children }) {
  useEffect(() => {
    const el = document.querySelector(".dialog input, .dialog textarea");
    el?.focus();
  }, []);
  return html`<div class="backdrop" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <form class="dialog" role="dialog" aria-modal="true" aria-label=${title}
        onKeyDown=${(e) => e.key === "Escape" && onClose()} onSubmit=${(e) => { e.preventDefault(); onSubmit(); }}>
      <h3>${title}</h3>
      ${children}
      <div class="dialog-actions">
        <button type="button" onClick=${onClose}>${t("cancel")}</button>
        <button type="submit" class="primary">${t("confirm")}</button>
      </div>
    </form>
  </div>`;
}

function TagDialog({ onClose, onSave }) {
  const [tag, setTag] = useState("");
  const [error, setError] = useState("");
  return html`<${Dialog} title=${t("addTag")} onClose=${onClose}
      onSubmit=${() => onSave(tag.trim().toLowerCase()).catch((e) => setError(e.message))}>
    <label for="tag-input">${t("tags")}</label>
    <input id="tag-input" value=${tag} onInput=${(e) => setTag(e.currentTarget.value)} required pattern="[a-zA-Z0-9][a-zA-Z0-9_.:\\-]{0,47}" />
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
  </${Dialog}>`;
}

function TransferDialog({ onClose, onSave }) {
  const [team, setTeam] = useState("");
  const [agent, setAgent] = useState("");
  const [note, setNote] = useState("");
  const body = () => ({ ...(team.trim() && { to_team: team.trim() }), ...(agent.trim() && { to_agent_id: agent.trim() }), note });
  return html`<${Dialog} title=${t("transfer")} onClose=${onClose} onSubmit=${() => onSave(body())}>
    <label for="transfer-team">${t("toTeam")}</label>
    <input id="transfer-team" value=${team} onInput=${(e) => setTeam(e.currentTarget.value)} />
    <label for="transfer-agent">${t("toAgent")}</label>
    <input id="transfer-agent" value=${agent} onInput=${(e) => setAgent(e.currentTarget.value)} />
    <p class="hint">${t("toQueue")}</p>
    <label for="transfer-note">${t("transferNote")}</label>
    <textarea id="transfer-note" rows="3" value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>
  </${Dialog}>`;
}
