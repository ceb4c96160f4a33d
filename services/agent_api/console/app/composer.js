// The composer: Enter sends, Shift+Enter a new line, "/" canned responses, files by button,
// drag-and-drop or paste, a reply / internal-note switch; a failed send keeps the text. Above the
// input, the FAQ answers the router weighed for the customer's last message: one click inserts one.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./ui.js";
import { Icon } from "./icons.js";
import { t } from "./i18n.js";
import { api, query } from "./api.js";
import "./agent-words.js";

let cannedCache = null;
async function cannedResponses() {
  cannedCache ??= api("GET", "canned-responses").then((r) => r.canned_responses).catch((e) => { cannedCache = null; throw e; });
  return cannedCache;
}

export function Composer({ conversationId, onSent, onNote, disabled, suggestions = [] }) {
  const [text, setText] = useState("");
  const [mode, setMode] = useState("reply");
  const [files, setFiles] = useState([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [canned, setCanned] = useState(null); // {items, index} while the "/" menu is open
  const box = useRef(null);
  const picker = useRef(null);
  const note = mode === "note";

  useEffect(() => { setText(""); setFiles([]); setError(""); setCanned(null); }, [conversationId]);

  async function openCanned(value) {
    const term = value.slice(1).toLowerCase();
    try {
      const all = await cannedResponses();
      const items = all.filter((c) => !term || c.shortcut.toLowerCase().includes(term) || c.title.toLowerCase().includes(term));
      setCanned({ items: items.slice(0, 8), index: 0 });
    } catch (err) {
      setError(t("loadFailed", { error: err.message }));
    }
  }

  async function pickCanned(item) {
    setCanned(null);
    try {
      const rendered = await api("GET", `canned-responses/${item.id}/render${query({ conversation_id: conversationId })}`);
      setText(rendered.text);
    } catch (err) {
      setError(t("loadFailed", { error: err.message }));
    }
    box.current?.focus();
  }

  async function upload(list) {
    for (const file of list) {
      try {
        const stored = await api("POST", `files${query({ name: file.name || "pasted" })}`, file);
        setFiles((current) => [...current, stored]);
      } catch (err) {
        setError(t("uploadFailed", { error: err.message }));
      }
    }
  }

  async function submit() {
    const body = text;
    if (busy || (!body.trim() && !files.length)) return;
    setBusy(true);
    setError("");
    const sending = files;
    try {
      if (note) {
        const created = await api("POST", `conversations/${conversationId}/notes`, { text: body });
        onNote(created);
      } else {
        const accepted = await api("POST", `conversations/${conversationId}/replies`, { text: body, attachments: sending.map((f) => f.id) });
        onSent({ id: accepted.id, text: body, at: new Date().toISOString(), attachments: sending.map((f) => ({ ref: f.url, name: f.name, content_type: f.content_type })) });
      }
      setText("");
      setFiles([]);
    } catch (err) {
      setError(t("sendFailed", { error: err.message })); // the text stays where it was
    } finally {
      setBusy(false);
    }
  }

  function insertAnswer(answer) {
    // Into what is typed so far, never sent by itself: the agent reads and edits it first.
    setText((current) => (current.trim() ? `${current.replace(/\s+$/, "")}\n${answer}` : answer));
    box.current?.focus();
  }

  function onInput(e) {
    const value = e.currentTarget.value;
    setText(value);
    if (!note && value.startsWith("/") && !value.includes("\n")) openCanned(value);
    else if (canned) setCanned(null);
  }

  function onKeyDown(e) {
    if (canned && canned.items.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        setCanned({ ...canned, index: (canned.index + step + canned.items.length) % canned.items.length });
        return;
      }
      if (e.key === "Enter") { e.preventDefault(); pickCanned(canned.items[canned.index]); return; }
    }
    if (e.key === "Escape" && canned) { e.preventDefault(); setCanned(null); return; }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  }

  return html`<form class=${`composer${note ? " note-mode" : ""}`} onSubmit=${(e) => { e.preventDefault(); submit(); }}
      onDragOver=${(e) => e.preventDefault()} onDrop=${(e) => { e.preventDefault(); upload([...e.dataTransfer.files]); }}>
    <div class="mode" role="group" aria-label=${`${t("reply")} / ${t("note")}`}>
      <button type="button" class=${mode === "reply" ? "on" : ""} aria-pressed=${mode === "reply"} onClick=${() => setMode("reply")}>${t("reply")}</button>
      <button type="button" class=${note ? "on note" : ""} aria-pressed=${note} onClick=${() => setMode("note")}><${Icon} name="lock" /> ${t("note")}</button>
      ${note && html`<span class="note-banner">${t("noteMode")}</span>`}
    </div>
    ${canned && html`<ul class="canned" role="listbox" aria-label=${t("canned")}>
      ${canned.items.length ? canned.items.map((c, i) => html`<li role="option" aria-selected=${i === canned.index}
          class=${i === canned.index ? "on" : ""} onMouseDown=${(e) => { e.preventDefault(); pickCanned(c); }}>
          <b>/${c.shortcut}</b> ${c.title}<span class="canned-text">${c.text}</span></li>`)
        : html`<li class="none">${t("noCanned")}</li>`}
    </ul>`}
    ${!note && suggestions.length > 0 && html`<div class="faq-suggestions" role="group" aria-label=${t("faqSuggestions")}>
      <span class="faq-label" aria-hidden="true">FAQ</span>
      ${suggestions.map((s) => html`<button type="button" key=${s.id} class="faq-chip" title=${s.answer}
        aria-label=${t("faqInsert", { q: s.question })} disabled=${disabled} onClick=${() => insertAnswer(s.answer)}>${s.question}</button>`)}
    </div>`}
    <label class="sr-only" for="composer-text">${note ? t("composerNote") : t("composerReply")}</label>
    <textarea id="composer-text" ref=${box} rows="3" value=${text} disabled=${disabled}
      placeholder=${note ? t("composerNote") : t("composerReply")} onInput=${onInput} onKeyDown=${onKeyDown}
      onPaste=${(e) => { const list = [...(e.clipboardData?.files || [])]; if (list.length) { e.preventDefault(); upload(list); } }}></textarea>
    ${files.length > 0 && html`<ul class="chips" aria-label=${t("attachments")}>${files.map((f) => html`<li key=${f.id}><${Icon} name="clip" /> ${f.name}
      <button type="button" aria-label=${`${t("remove")} ${f.name}`} onClick=${() => setFiles(files.filter((x) => x.id !== f.id))}>×</button></li>`)}</ul>`}
    ${error && html`<p class="form-error" role="alert">${error} <button type="button" onClick=${submit}>${t("retrySend")}</button></p>`}
    <div class="composer-actions">
      <input type="file" ref=${picker} class="sr-only" id="composer-file" multiple tabindex="-1" aria-hidden="true"
        onChange=${(e) => { upload([...e.currentTarget.files]); e.currentTarget.value = ""; }} />
      ${!note && html`<button type="button" onClick=${() => picker.current.click()}><${Icon} name="clip" /> ${t("attach")}</button>`}
      <button type="submit" class=${note ? "primary note" : "primary"} disabled=${busy || disabled}>${note ? t("addNote") : t("send")}</button>
    </div>
  </form>`;
}
