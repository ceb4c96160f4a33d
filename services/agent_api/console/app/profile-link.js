// A conversation's customer without a profile: create one for them, or (supervisors, who may
// search the directory) link them to an existing one. The API decides; its refusals are shown.
import { useState } from "preact/hooks";
import { html } from "./ui.js";
import { t } from "./i18n.js";
import { api, query } from "./api.js";
import { me } from "./store.js";
import "./agent-words.js";

const SUPERVISING = new Set(["supervisor", "admin"]);

export function ProfileLink({ conversationId, suggestedName, onDone }) {
  const [mode, setMode] = useState(null); // "create" | "link" | null
  const [error, setError] = useState("");
  const supervising = SUPERVISING.has(me.value?.role);
  const open = (next) => { setError(""); setMode(mode === next ? null : next); };
  return html`<div class="profile-link">
    <div class="profile-link-actions">
      <button type="button" aria-expanded=${mode === "create"} onClick=${() => open("create")}>${t("createProfile")}</button>
      <button type="button" aria-expanded=${mode === "link"} onClick=${() => open("link")}>${t("linkProfile")}</button>
    </div>
    ${mode === "create" && html`<${CreateForm} conversationId=${conversationId} suggestedName=${suggestedName}
      onError=${setError} onDone=${() => onDone("profileCreated")} onCancel=${() => setMode(null)} />`}
    ${mode === "link" && (supervising
      ? html`<${LinkSearch} conversationId=${conversationId} onError=${setError} onDone=${() => onDone("profileLinked")} />`
      : html`<p class="hint" role="status">${t("linkSupervisorsOnly")}</p>`)}
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
  </div>`;
}

function CreateForm({ conversationId, suggestedName, onError, onDone, onCancel }) {
  const [name, setName] = useState(suggestedName || "");
  const [language, setLanguage] = useState("");
  const [notes, setNotes] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    onError("");
    try {
      await api("POST", "customers", { name: name.trim(), language, notes, conversation_id: conversationId });
      onDone();
    } catch (err) {
      onError(t("refused", { r: err.message }));
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="profile-form" onSubmit=${submit}>
    <label>${t("profileName")}<input id="profile-name" maxlength="200" value=${name} onInput=${(e) => setName(e.currentTarget.value)} /></label>
    <label>${t("profileLanguage")}<select value=${language} onChange=${(e) => setLanguage(e.currentTarget.value)}>
      <option value="">—</option><option value="zh">中文</option><option value="en">English</option></select></label>
    <label>${t("profileNotes")}<textarea rows="2" maxlength="4000" value=${notes} onInput=${(e) => setNotes(e.currentTarget.value)}></textarea></label>
    <span class="profile-form-actions">
      <button type="submit" class="primary" disabled=${busy}>${t("saveProfile")}</button>
      <button type="button" onClick=${onCancel}>${t("cancel")}</button>
    </span>
  </form>`;
}

function LinkSearch({ conversationId, onError, onDone }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState(null);
  async function search(e) {
    e.preventDefault();
    onError("");
    try {
      setFound((await api("GET", `customers${query({ q: q.trim(), limit: 10 })}`)).customers);
    } catch (err) {
      onError(err.status === 403 ? t("linkSupervisorsOnly") : t("loadFailed", { error: err.message }));
    }
  }
  async function link(customer) {
    onError("");
    try {
      await api("POST", `customers/${customer.id}/links`, { conversation_id: conversationId });
      onDone();
    } catch (err) {
      onError(t("refused", { r: err.message }));
    }
  }
  return html`<form class="profile-form" role="search" onSubmit=${search}>
    <label>${t("searchProfiles")}<input id="profile-search" maxlength="100" placeholder=${t("searchPlaceholder")}
      value=${q} onInput=${(e) => setQ(e.currentTarget.value)} /></label>
    <button type="submit">${t("search")}</button>
    ${found && (found.length
      ? html`<ul class="profile-matches">${found.map((c) => html`<li key=${c.id}><span>${c.name || "—"}</span>
          ${c.external_id && html` <span class="muted">${c.external_id}</span>`}
          <button type="button" onClick=${() => link(c)} aria-label=${`${t("link")} ${c.name || c.id}`}>${t("link")}</button></li>`)}</ul>`
      : html`<p class="hint">${t("noMatches")}</p>`)}
  </form>`;
}
