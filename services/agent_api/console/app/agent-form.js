// Editing an agent (admins): role, capacity, skills, languages, teams and channels, saved with
// PATCH /v1/admin/agents/{id} (only what changed is sent); the API's refusal is shown in words.
import { useState } from "preact/hooks";
import { html } from "./ui.js";
import { t, addWords } from "./i18n.js";
import { api } from "./api.js";
import { errorText, Field } from "./figures.js";

addWords({
  en: { editAgent: "Edit {name}", saveAgent: "Save changes", agentSaved: "Saved.", nothingChanged: "Nothing changed.",
    listHint: "Separate with commas or spaces; leave empty for any." },
  "zh-CN": { editAgent: "编辑 {name}", saveAgent: "保存修改", agentSaved: "已保存。", nothingChanged: "没有修改。",
    listHint: "用逗号或空格分隔；留空表示不限。" },
});

const LISTS = ["skills", "languages", "teams", "channels"];
const labels = (text) => text.split(/[\s,，、]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** What the form changes, as the PATCH body: only fields whose value differs from the agent's. */
function changes(agent, f) {
  const body = {};
  if (f.role !== agent.role) body.role = f.role;
  if (Number(f.capacity) !== agent.capacity) body.capacity = Number(f.capacity);
  for (const k of LISTS) if (!same(labels(f[k]), agent[k])) body[k] = labels(f[k]);
  return body;
}

export function EditAgent({ agent, onSaved }) {
  const initial = () => ({ role: agent.role, capacity: String(agent.capacity), ...Object.fromEntries(LISTS.map((k) => [k, agent[k].join(", ")])) });
  const [f, setF] = useState(initial);
  const [note, setNote] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  async function save(e) {
    e.preventDefault();
    const body = changes(agent, f);
    if (!Object.keys(body).length) { setNote({ ok: t("nothingChanged") }); return; }
    try { await api("PATCH", `admin/agents/${agent.id}`, body); setNote({ ok: t("agentSaved") }); onSaved(); }
    catch (err) { setNote({ error: errorText(err) }); }
  }
  const id = (k) => `ea-${k}-${agent.id}`;
  const list = (k) => html`<${Field} id=${id(k)} label=${t(`field_${k}`)} hint=${t("listHint")}>
    <input id=${id(k)} value=${f[k]} onInput=${set(k)} aria-describedby=${`${id(k)}-hint`} /></${Field}>`;
  return html`<form class="card form-grid edit-agent" onSubmit=${save} aria-label=${t("editAgent", { name: agent.name })} data-testid="edit-agent">
    <${Field} id=${id("role")} label=${t("role")}><select id=${id("role")} value=${f.role} onChange=${set("role")}>
      ${["agent", "supervisor", "admin"].map((r) => html`<option value=${r}>${t(r)}</option>`)}</select></${Field}>
    <${Field} id=${id("capacity")} label=${t("field_capacity")}><input id=${id("capacity")} type="number" min="1" max="1000" required
      value=${f.capacity} onInput=${set("capacity")} /></${Field}>
    ${LISTS.map(list)}
    ${note?.error && html`<p class="form-error full" role="alert">${note.error}</p>`}
    ${note?.ok && html`<p class="ok-note full" role="status">${note.ok}</p>`}
    <div class="full dialog-actions"><button type="submit" class="primary">${t("saveAgent")}</button></div>
  </form>`;
}
