// People (admins): agents with their roles, skills, languages, teams and capacity; add or edit an agent;
// set or reset a console password; tokens (a new secret is shown once), rotate, revoke.
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { html } from "./ui.js";
import { t, number, formatDate } from "./i18n.js";
import { api, query } from "./api.js";
import { errorText, Field } from "./figures.js";
import { Confirm } from "./broadcast-form.js";
import { EditAgent } from "./agent-form.js";

const agents = signal({ list: [], error: "", loaded: false });
const labels = (text) => text.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);

async function loadAgents() {
  try { agents.value = { list: (await api("GET", "admin/agents")).agents, error: "", loaded: true }; }
  catch (e) { agents.value = { ...agents.value, error: errorText(e), loaded: true }; }
}

function Secret({ token, onClose }) {
  return html`<div class="ok-note" role="status" data-testid="token-secret">
    <p>${t("secretOnce", { name: token.name })}</p><p class="secret">${token.secret}</p>
    <button onClick=${onClose}>${t("secretSaved")}</button></div>`;
}

function Password({ agent }) {
  const [value, setValue] = useState("");
  const [note, setNote] = useState(null);
  async function save(e) {
    e.preventDefault();
    try { await api("PUT", `admin/agents/${agent.id}/password`, { password: value }); setValue(""); setNote({ ok: t("passwordSet", { name: agent.name }) }); }
    catch (err) { setNote({ error: errorText(err) }); }
  }
  const id = `pw-${agent.id}`;
  return html`<form class="range" onSubmit=${save}>
    <${Field} id=${id} label=${t("newPassword")}><input id=${id} type="password" autocomplete="new-password" required value=${value}
      onInput=${(e) => setValue(e.currentTarget.value)} /></${Field}>
    <button type="submit">${t("setPassword")}</button>
    ${note?.ok && html`<span class="ok-note" role="status">${note.ok}</span>`}
    ${note?.error && html`<span class="form-error" role="alert">${note.error}</span>`}
  </form>`;
}

function Tokens({ agent }) {
  const [tokens, setTokens] = useState([]);
  const [secret, setSecret] = useState(null);
  const [name, setName] = useState("");
  const [revoking, setRevoking] = useState(null);
  const [error, setError] = useState("");
  const load = () => api("GET", `admin/tokens${query({ agent_id: agent.id })}`).then((r) => setTokens(r.tokens)).catch((e) => setError(errorText(e)));
  useEffect(() => { load(); }, [agent.id]);
  const run = async (call) => { setError(""); try { const r = await call(); if (r?.secret) setSecret(r); } catch (e) { setError(errorText(e)); } load(); };
  const id = `tok-${agent.id}`;
  return html`<div class="tokens">
    ${secret && html`<${Secret} token=${secret} onClose=${() => setSecret(null)} />`}
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    <table class="grid-table"><thead><tr><th scope="col">${t("tokenName")}</th><th scope="col">${t("status")}</th>
      <th scope="col">${t("lastUsed")}</th><th scope="col"><span class="sr-only">${t("actions")}</span></th></tr></thead>
    <tbody>${tokens.map((k) => html`<tr key=${k.id}><td>${k.name}</td><td>${t(`token_${k.status}`)}</td>
      <td>${k.last_used_at ? formatDate(k.last_used_at) : t("none")}</td>
      <td><span class="row-actions">${k.status === "active" && html`
        <button onClick=${() => run(() => api("POST", `admin/tokens/${k.id}/rotate`))}>${t("rotate")}<span class="sr-only"> ${k.name}</span></button>
        <button onClick=${() => setRevoking(k)}>${t("revoke")}<span class="sr-only"> ${k.name}</span></button>`}</span></td></tr>`)}</tbody></table>
    <form class="range" onSubmit=${(e) => { e.preventDefault(); run(() => api("POST", `admin/agents/${agent.id}/tokens`, { name })); setName(""); }}>
      <${Field} id=${id} label=${t("tokenName")}><input id=${id} required maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} /></${Field}>
      <button type="submit">${t("createToken")}</button></form>
    ${revoking && html`<${Confirm} title=${t("revoke")} text=${t("revokeConsequence", { name: revoking.name })} yes=${t("revoke")} no=${t("cancel")}
      onYes=${() => { const k = revoking; setRevoking(null); run(() => api("DELETE", `admin/tokens/${k.id}`)); }} onNo=${() => setRevoking(null)} />`}
  </div>`;
}

function AgentRow({ agent, open, onOpen }) {
  return html`<tr data-testid="agent-row">
    <td><button class="linkish" aria-expanded=${open} onClick=${onOpen}>${agent.name}</button></td><td>${t(agent.role)}</td>
    <td>${agent.skills.join(", ") || t("none")}</td><td>${agent.languages.join(", ") || t("none")}</td>
    <td>${agent.teams.join(", ") || t("none")}</td><td>${agent.channels.join(", ") || t("allChannels")}</td>
    <td class="num">${number(agent.capacity)}</td></tr>
    ${open && html`<tr class="agent-detail"><td colspan="7"><h3>${agent.name}</h3><${EditAgent} agent=${agent} onSaved=${loadAgents} /><${Password} agent=${agent} /><${Tokens} agent=${agent} /></td></tr>`}`;
}

function NewAgent({ onDone }) {
  const [f, setF] = useState({ name: "", role: "agent", capacity: 5, skills: "", languages: "zh, en", teams: "", channels: "" });
  const [error, setError] = useState("");
  const [made, setMade] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  async function save(e) {
    e.preventDefault();
    try {
      const r = await api("POST", "admin/agents", { name: f.name.trim(), role: f.role, capacity: Number(f.capacity),
        skills: labels(f.skills), languages: labels(f.languages), teams: labels(f.teams), channels: labels(f.channels) });
      setMade(r.token); onDone();
    } catch (err) { setError(errorText(err)); }
  }
  if (made) return html`<${Secret} token=${made} onClose=${() => setMade(null)} />`;
  const input = (k, extra = {}) => html`<${Field} id=${`na-${k}`} label=${t(`field_${k}`)}><input id=${`na-${k}`} value=${f[k]} onInput=${set(k)} ...${extra} /></${Field}>`;
  return html`<form class="card form-grid" onSubmit=${save} aria-label=${t("addAgent")}>
    ${input("name", { required: true, maxlength: 100 })}
    <${Field} id="na-role" label=${t("role")}><select id="na-role" value=${f.role} onChange=${set("role")}>
      ${["agent", "supervisor", "admin"].map((r) => html`<option value=${r}>${t(r)}</option>`)}</select></${Field}>
    ${input("capacity", { type: "number", min: 1, max: 1000 })}${input("skills")}${input("languages")}${input("teams")}${input("channels")}
    ${error && html`<p class="form-error full" role="alert">${error}</p>`}
    <div class="full dialog-actions"><button type="submit" class="primary">${t("addAgent")}</button></div>
  </form>`;
}

export function People() {
  const [open, setOpen] = useState(null);
  const [adding, setAdding] = useState(false);
  useEffect(() => { loadAgents(); }, []);
  const state = agents.value;
  return html`<div class="screen people" data-testid="people">
    <header class="screen-head"><h1>${t("people")}</h1>
      <div class="actions"><button class="primary" aria-expanded=${adding} onClick=${() => setAdding(!adding)}>${t("addAgent")}</button></div></header>
    ${adding && html`<${NewAgent} onDone=${loadAgents} />`}
    ${state.error && html`<p class="form-error" role="alert">${t("loadFailed", { error: state.error })}</p>`}
    ${!state.loaded ? html`<p class="loading">${t("loading")}</p>` : html`<section class="card">
      <p class="hint">${t("editHint")}</p>
      <table class="grid-table"><thead><tr><th scope="col">${t("name")}</th><th scope="col">${t("role")}</th>
        <th scope="col">${t("field_skills")}</th><th scope="col">${t("field_languages")}</th><th scope="col">${t("field_teams")}</th>
        <th scope="col">${t("field_channels")}</th><th scope="col" class="num">${t("capacity")}</th></tr></thead>
      <tbody>${state.list.map((a) => html`<${AgentRow} key=${a.id} agent=${a} open=${open === a.id}
        onOpen=${() => setOpen(open === a.id ? null : a.id)} />`)}</tbody></table></section>`}
  </div>`;
}
