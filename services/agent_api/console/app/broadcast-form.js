// Creating a broadcast: audience, what each channel says, when; the SMS estimate from the API as
// the text is typed; and one confirmation that says what will happen in words.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./ui.js";
import { t, category } from "./i18n.js";
import { api } from "./api.js";
import { CATEGORIES } from "./views.js";
import { errorText, Field } from "./figures.js";

const KINDS = ["everyone", "channel", "tag", "customers", "category"];
const SENDS = ["wechat", "email", "sms"];
const list = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

/** One question with the consequence in words; Escape or "no" closes it. */
export function Confirm({ title, text, yes, no, onYes, onNo }) {
  const first = useRef(null);
  useEffect(() => { first.current?.focus(); }, []);
  return html`<div class="backdrop" onKeyDown=${(e) => e.key === "Escape" && onNo()}>
    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-text">
      <h3 id="confirm-title">${title}</h3><p id="confirm-text">${text}</p>
      <div class="dialog-actions"><button ref=${first} onClick=${onNo}>${no}</button>
        <button class="primary" onClick=${onYes}>${yes}</button></div>
    </div></div>`;
}

function templateData(text) {
  return Object.fromEntries(text.split("\n").map((line) => line.split("=")).filter((p) => p.length >= 2 && p[0].trim())
    .map(([k, ...v]) => [k.trim(), v.join("=").trim()]));
}

/** The request body from the form's fields. */
function body(f) {
  const audience = { kind: f.kind };
  if (f.kind === "channel") audience.channels = f.channels;
  if (f.kind === "tag") audience.tags = list(f.tags.toLowerCase());
  if (f.kind === "customers") audience.customer_ids = list(f.customers);
  if (f.kind === "category") Object.assign(audience, { category: f.category, from: f.start ? new Date(f.start).toISOString() : null, to: f.end ? new Date(f.end).toISOString() : null });
  const content = {};
  if (f.on.wechat) content.wechat = { text: f.wechatText, template_id: f.templateId, template_data: templateData(f.templateData), url: f.url };
  if (f.on.email) content.email = { subject: f.subject, text: f.emailText, html: f.emailHtml };
  if (f.on.sms) content.sms = { text: f.smsText };
  return { name: f.name.trim(), audience, content, send_at: f.sendAt ? new Date(f.sendAt).toISOString() : null };
}

function audienceWords(f) {
  switch (f.kind) {
    case "channel": return t("aud_channel_is", { list: f.channels.map((c) => t(c)).join(t("listSep")) });
    case "tag": return t("aud_tag_is", { list: list(f.tags).join(t("listSep")) });
    case "customers": return t("aud_customers_is", { n: list(f.customers).length });
    case "category": return t("aud_category_is", { c: category(f.category) });
    default: return t("aud_everyone_is");
  }
}

const START = {
  name: "", kind: "everyone", channels: [], tags: "", customers: "", category: "payment", start: "", end: "",
  on: { wechat: false, email: true, sms: false }, wechatText: "", templateId: "", templateData: "", url: "",
  subject: "", emailText: "", emailHtml: "", smsText: "", sendAt: "",
};

export function BroadcastForm({ onDone, onCancel }) {
  const [f, setF] = useState(START);
  const [estimate, setEstimate] = useState(null);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState("");
  const set = (field) => (e) => setF({ ...f, [field]: e.currentTarget.value });
  const toggle = (field, key) => (e) => setF({ ...f, [field]: { ...f[field], [key]: e.currentTarget.checked } });
  const pick = (c) => (e) => setF({ ...f, channels: e.currentTarget.checked ? [...f.channels, c] : f.channels.filter((x) => x !== c) });
  useEffect(() => {
    if (!f.on.sms || !f.smsText) { setEstimate(null); return undefined; }
    const timer = setTimeout(() => api("POST", "broadcasts/estimate", { name: "estimate", audience: { kind: "everyone" }, content: { sms: { text: f.smsText } } })
      .then((r) => setEstimate(r.estimate.sms)).catch(() => setEstimate(null)), 300);
    return () => clearTimeout(timer);
  }, [f.on.sms, f.smsText]);
  const channels = SENDS.filter((c) => f.on[c]);
  async function send() {
    setAsking(false);
    try { await api("POST", "broadcasts", body(f)); onDone(); } catch (e) { setError(errorText(e)); }
  }
  function submit(e) {
    e.preventDefault();
    setError(channels.length ? "" : t("pickAChannel"));
    if (channels.length) setAsking(true);
  }
  const consequence = [t("sendConsequence", { audience: audienceWords(f), channels: channels.map((c) => t(c)).join(t("listSep")) }),
    estimate ? t("smsConsequence", { n: estimate.segments, cost: estimate.cost_per_message }) : "",
    f.sendAt ? t("startsAt", { t: f.sendAt.replace("T", " ") }) : t("startsNow")].filter(Boolean).join(" ");
  return html`<form class="card broadcast-form" onSubmit=${submit} aria-labelledby="bf-title" data-testid="broadcast-form">
    <h2 id="bf-title">${t("newBroadcast")}</h2>
    <div class="form-grid">
      <${Field} id="bf-name" label=${t("broadcastName")}><input id="bf-name" required maxlength="200" value=${f.name} onInput=${set("name")} /></${Field}>
      <${Field} id="bf-send-at" label=${t("sendAt")} hint=${t("sendAtHint")}><input id="bf-send-at" type="datetime-local" value=${f.sendAt}
        aria-describedby="bf-send-at-hint" onInput=${set("sendAt")} /></${Field}>
      <fieldset class="full"><legend>${t("audience")}</legend>
        <div class="checks" role="radiogroup">${KINDS.map((k) => html`<label><input type="radio" name="kind" value=${k} checked=${f.kind === k}
          onChange=${() => setF({ ...f, kind: k })} />${t(`aud_${k}`)}</label>`)}</div>
        ${f.kind === "channel" && html`<div class="checks">${["wechat", "email", "sms", "webchat"].map((c) => html`<label>
          <input type="checkbox" checked=${f.channels.includes(c)} onChange=${pick(c)} />${t(c)}</label>`)}</div>`}
        ${f.kind === "tag" && html`<${Field} id="bf-tags" label=${t("tagsComma")}><input id="bf-tags" value=${f.tags} onInput=${set("tags")} /></${Field}>`}
        ${f.kind === "customers" && html`<${Field} id="bf-customers" label=${t("customerIds")}><textarea id="bf-customers" rows="3" value=${f.customers} onInput=${set("customers")}></textarea></${Field}>`}
        ${f.kind === "category" && html`<div class="range"><${Field} id="bf-cat" label=${t("categoryLabel")}><select id="bf-cat" value=${f.category} onChange=${set("category")}>
          ${CATEGORIES.map((c) => html`<option value=${c}>${category(c)}</option>`)}</select></${Field}>
          <${Field} id="bf-start" label=${t("fromDate")}><input id="bf-start" type="date" value=${f.start} onInput=${set("start")} /></${Field}>
          <${Field} id="bf-end" label=${t("toDate")}><input id="bf-end" type="date" value=${f.end} onInput=${set("end")} /></${Field}></div>`}
      </fieldset>
      <fieldset><legend><label><input type="checkbox" checked=${f.on.email} onChange=${toggle("on", "email")} /> ${t("email")}</label></legend>
        ${f.on.email && html`<${Field} id="bf-subject" label=${t("subject")}><input id="bf-subject" required value=${f.subject} onInput=${set("subject")} /></${Field}>
          <${Field} id="bf-email-text" label=${t("plainText")}><textarea id="bf-email-text" required rows="3" value=${f.emailText} onInput=${set("emailText")}></textarea></${Field}>
          <${Field} id="bf-email-html" label=${t("htmlOptional")}><textarea id="bf-email-html" rows="2" value=${f.emailHtml} onInput=${set("emailHtml")}></textarea></${Field}>`}
      </fieldset>
      <fieldset><legend><label><input type="checkbox" checked=${f.on.sms} onChange=${toggle("on", "sms")} /> ${t("sms")}</label></legend>
        ${f.on.sms && html`<${Field} id="bf-sms" label=${t("smsText")}><textarea id="bf-sms" required rows="3" maxlength="1000" value=${f.smsText}
            aria-describedby="bf-estimate" onInput=${set("smsText")}></textarea></${Field}>
          <p class="estimate" id="bf-estimate" aria-live="polite" data-testid="sms-estimate">${estimate
            ? t("estimateWords", { n: estimate.segments, enc: estimate.encoding, cost: estimate.cost_per_message }) : t("estimateEmpty")}</p>`}
      </fieldset>
      <fieldset class="full"><legend><label><input type="checkbox" checked=${f.on.wechat} onChange=${toggle("on", "wechat")} /> ${t("wechat")}</label></legend>
        ${f.on.wechat && html`<div class="form-grid">
          <${Field} id="bf-wx-text" label=${t("wechatText")}><textarea id="bf-wx-text" rows="2" value=${f.wechatText} onInput=${set("wechatText")}></textarea></${Field}>
          <${Field} id="bf-wx-tpl" label=${t("templateId")}><input id="bf-wx-tpl" value=${f.templateId} onInput=${set("templateId")} /></${Field}>
          <${Field} id="bf-wx-data" label=${t("templateData")}><textarea id="bf-wx-data" rows="2" value=${f.templateData} onInput=${set("templateData")}></textarea></${Field}>
          <${Field} id="bf-wx-url" label=${t("templateUrl")}><input id="bf-wx-url" type="url" value=${f.url} onInput=${set("url")} /></${Field}></div>`}
      </fieldset>
    </div>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    <div class="dialog-actions"><button type="button" onClick=${onCancel}>${t("cancel")}</button>
      <button type="submit" class="primary">${t("reviewAndSend")}</button></div>
    ${asking && html`<${Confirm} title=${t("confirmSend")} text=${consequence} yes=${t("sendNow")} no=${t("cancel")}
      onYes=${send} onNo=${() => setAsking(false)} />`}
  </form>`;
}
