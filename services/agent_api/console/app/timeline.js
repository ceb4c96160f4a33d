// A conversation's history: grouped by day and sender; customer left, agent right, bot/system centred.
import { html } from "./ui.js";
import { Icon } from "./icons.js";
import { t, formatDay, formatTime } from "./i18n.js";

const REASONS = { window_closed: "reason_window_closed", opted_out: "reason_opted_out", unsubscribed: "reason_opted_out" };

/** A delivery failure's reason in words; an unknown code is still shown, as given. */
export function reasonText(reason) {
  return REASONS[reason] ? t(REASONS[reason]) : t("reason_unknown", { r: reason || "?" });
}

/** Messages and notes as one list of entries in time order, each with its side. */
export function entries(detail, pending) {
  const items = [
    ...detail.messages.map((m) => ({
      ...m, at: m.created_at, side: m.direction === "in" ? "customer" : m.agent_id ? "agent" : "bot",
    })),
    ...detail.notes.map((n) => ({ ...n, at: n.created_at, side: "note" })),
    ...pending.filter((p) => !detail.messages.some((m) => m.id === p.id)).map((p) => ({ ...p, side: p.note ? "note" : "agent" })),
  ];
  return items.sort((a, b) => new Date(a.at) - new Date(b.at));
}

/** Where the console reads a file: the API's own route (customers' files, whoever may see the
 * conversation), else the link an agent's just-sent file has until the detail reloads. */
function fileUrl(file) {
  if (file.url) return file.url;
  return file.ref && (file.ref.startsWith("/") || /^https?:\/\//.test(file.ref)) ? file.ref : null;
}

function sizeText(size) {
  if (size == null) return "";
  return size < 1024 ? `${size} B` : size < 1024 * 1024 ? `${Math.ceil(size / 1024)} KB` : `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** One attachment: an image inline, voice and video playable (voice with WeChat's recognition text
 * under it), anything else a download. All from the same-origin API; nothing is parsed as HTML. */
function Attachment({ file, who }) {
  const url = fileUrl(file);
  const kind = (file.content_type || "").split("/")[0];
  const label = file.name || t("attachmentAlt", { who });
  if (url && kind === "image") {
    return html`<a class="attachment-image" href=${url} target="_blank" rel="noopener noreferrer">
      <img src=${url} alt=${label} loading="lazy" /></a>`;
  }
  if (url && kind === "audio") {
    return html`<div class="attachment-voice">
      <audio controls preload="metadata" src=${url} aria-label=${label}></audio>
      ${file.transcript && html`<p class="transcript">${file.transcript}</p>`}
    </div>`;
  }
  if (url && kind === "video") {
    return html`<video class="attachment-video" controls preload="metadata" src=${url} aria-label=${label}></video>`;
  }
  if (url) {
    return html`<a class="attachment-file" href=${url} download=${file.name || true} rel="noopener noreferrer">
      <${Icon} name="clip" /> ${file.name || t("download")}${file.size != null && html` <span class="size">(${sizeText(file.size)})</span>`}</a>`;
  }
  return html`<span class="attachment-file"><${Icon} name="clip" /> ${file.name || file.ref}</span>
    ${file.transcript && html`<p class="transcript">${file.transcript}</p>`}`;
}

/** A voice message's text is WeChat's recognition: shown once, under the player. */
function showsText(entry) {
  return entry.text && !(entry.attachments || []).some((file) => file.transcript === entry.text);
}

function Ticks({ entry, onRetry }) {
  if (entry.side !== "agent") return null;
  if (entry.failedSend) {
    return html`<span class="ticks failed" role="status">${t("sendFailed", { error: entry.failedSend })}
      <button onClick=${() => onRetry(entry)}>${t("retrySend")}</button></span>`;
  }
  // No state yet: the API accepted it (pending) or the router stored it; channels without
  // delivery reports (web chat) stay here.
  const status = entry.delivery_status || "sent";
  if (status === "failed") return html`<span class="ticks failed">✕ ${t("failed")}: ${reasonText(entry.delivery_reason)}</span>`;
  return html`<span class=${`ticks ${status}`}>${status === "delivered" ? "✓✓" : "✓"} ${t(status)}</span>`;
}

const SENDER = { customer: "customer", agent: "agentSide", bot: "botSide", note: "note" };

function Entry({ entry, first, customer, onRetry }) {
  const who = entry.side === "customer" ? customer : entry.side === "note" ? entry.author_name || t("note") : t(SENDER[entry.side]);
  const noteKind = entry.side === "note" && entry.kind && entry.kind !== "note" ? t(entry.kind === "transfer" ? "transferred" : "reopened") : "";
  return html`<li class=${`entry side-${entry.side}${first ? " first" : ""}`} data-id=${entry.id}>
    ${first && html`<span class="entry-who">${entry.side === "note" && html`<${Icon} name="lock" label=${t("note")} />`}${who}${noteKind && ` · ${noteKind}`}
      <time datetime=${entry.at}>${formatTime(entry.at)}</time></span>`}
    <div class="bubble">
      ${entry.side === "note" && !first && html`<${Icon} name="lock" />`}
      ${showsText(entry) && html`<p class="text">${entry.text}</p>`}
      ${(entry.attachments || []).map((file) => html`<${Attachment} file=${file} who=${who} />`)}
    </div>
    <${Ticks} entry=${entry} onRetry=${onRetry} />
  </li>`;
}

export function Timeline({ detail, pending, onRetry }) {
  const list = entries(detail, pending);
  const out = [];
  let day = "", side = "", author = "";
  for (const entry of list) {
    const entryDay = formatDay(entry.at);
    if (entryDay !== day) {
      out.push(html`<li class="day" key=${`day-${entryDay}`}><span>${entryDay}</span></li>`);
      day = entryDay;
      side = "";
    }
    const first = entry.side !== side || (entry.agent_id || entry.author_id) !== author;
    side = entry.side;
    author = entry.agent_id || entry.author_id;
    out.push(html`<${Entry} key=${entry.id} entry=${entry} first=${first} customer=${detail.customer_name || detail.customer_address} onRetry=${onRetry} />`);
  }
  return html`<ol class="timeline" aria-live="polite">${out}</ol>`;
}
