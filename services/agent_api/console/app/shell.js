// The signed-in screen: header (name, status, language, notifications, logout), the reconnecting
// banner, the rail, the list and the open conversation; the stream feeds all of them.
import { useEffect } from "preact/hooks";
import { html } from "./ui.js";
import { t, lang, setLang } from "./i18n.js";
import { api, session, logout } from "./api.js";
import { Stream, connected, everConnected } from "./stream.js";
import { me, refreshMe, apply, openId, notifyOn, toast } from "./store.js";
import { Rail, ConversationList, loadPage, refreshCounts, liveRow } from "./inbox.js";
import { Conversation } from "./conversation.js";
import { Shortcuts } from "./keys.js";
import { SupervisorNav, SupervisorScreen, screen, supervisorEvent } from "./supervisor.js";
import { CallbacksLink, CallbacksScreen, callbacksOpen, callbackEvent } from "./callbacks.js";

function notify(event) {
  if (!notifyOn.value) return;
  if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
    new Notification(t("newAssignment"), { body: event.customer_name || event.customer_address, tag: event.conversation_id });
  }
  try {
    const audio = new AudioContext();
    const beep = audio.createOscillator();
    beep.connect(audio.destination);
    beep.frequency.value = 880;
    beep.start();
    beep.stop(audio.currentTime + 0.15);
  } catch { /* sound is a courtesy */ }
}

let countsTimer;
function onEvent(event) {
  apply(event, notify);
  liveRow(event);
  supervisorEvent(event);
  callbackEvent(event);
  if (["assignment", "resolved", "unassigned"].includes(event.type)) {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(() => { refreshMe().catch(() => {}); refreshCounts(); }, 300);
  }
}

function StatusSwitch() {
  const current = me.value?.status || "offline";
  async function choose(status) {
    await api("PUT", "me/status", { status }).catch(() => {});
    me.value = { ...me.value, status }; // 202: the router applies it; the header shows the choice
  }
  return html`<div class="status-switch" role="radiogroup" aria-label=${t("status")}>
    ${["online", "away", "offline"].map((s) => html`<button role="radio" aria-checked=${current === s}
      class=${`status-${s}${current === s ? " on" : ""}`} onClick=${() => choose(s)}>${t(s)}</button>`)}
  </div>`;
}

function Notifications() {
  async function toggle(e) {
    const on = e.currentTarget.checked;
    if (on && "Notification" in window && Notification.permission === "default") await Notification.requestPermission();
    notifyOn.value = on;
    localStorage.setItem("relaydesk.notify", on ? "1" : "0");
  }
  return html`<label class="notify"><input type="checkbox" checked=${notifyOn.value} onChange=${toggle} /> ${t("notify")}</label>`;
}

function Header() {
  return html`<header class="top">
    <span class="brand">Relaydesk</span>
    <${SupervisorNav} />
    <${CallbacksLink} />
    <span class="agent-name" data-testid="agent-name">${session.value.agent.name}</span>
    <${StatusSwitch} />
    <${Notifications} />
    <label class="sr-only" for="lang-switch">${t("language")}</label>
    <select id="lang-switch" value=${lang.value} onChange=${(e) => setLang(e.currentTarget.value)}>
      <option value="zh-CN">中文</option><option value="en">English</option>
    </select>
    <button class="logout" onClick=${logout}>${t("logout")}</button>
  </header>`;
}

function Toast() {
  if (!toast.value) return null;
  return html`<div class=${`toast ${toast.value.kind}`} role="alert">${t(toast.value.key, toast.value.vars)}
    <button aria-label=${t("close")} onClick=${() => { toast.value = null; }}>×</button></div>`;
}

export function Shell() {
  useEffect(() => {
    me.value = { ...session.value.agent };
    const stream = new Stream(onEvent);
    stream.start();
    loadPage(true);
    refreshCounts();
    refreshMe().catch(() => {});
    const route = () => { const m = location.hash.match(/^#\/c\/([0-9a-f-]{36})$/); openId.value = m ? m[1] : null; };
    route();
    window.addEventListener("hashchange", route);
    return () => { stream.stop(); clearTimeout(countsTimer); window.removeEventListener("hashchange", route); };
  }, []);
  const down = everConnected.value && !connected.value;
  return html`<div class=${`shell${openId.value ? " has-open" : ""}`}>
    <${Header} />
    ${down && html`<div class="banner" role="status" data-testid="reconnecting">${t("reconnecting")}</div>`}
    <${Toast} />
    ${callbacksOpen.value ? html`<${CallbacksScreen} />` : screen.value ? html`<${SupervisorScreen} />` : html`<div class="panes">
      <${Rail} />
      <${ConversationList} />
      <main class="main-pane">
        ${openId.value ? html`<${Conversation} key=${openId.value} id=${openId.value} />`
          : html`<p class="pick">${t("pick")}</p>`}
      </main>
    </div>`}
    <${Shortcuts} />
  </div>`;
}
