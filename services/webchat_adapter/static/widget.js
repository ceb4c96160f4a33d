/* Relaydesk web chat widget: plain JS, no build step, no external resources. */
(function () {
  "use strict";

  // currentScript is only available while this file is first executed.
  const script = document.currentScript;
  if (window.RelaydeskWidget) return; // Embedded twice: keep the first instance.

  const attr = (name) => (script && script.getAttribute(name)) || "";
  // An empty endpoint means "same origin"; ws(s) follows http(s) of that base.
  const httpBase = new URL(attr("data-relaydesk-endpoint") || location.origin, location.href).href.replace(/\/+$/, "");
  const wsBase = httpBase.replace(/^http/, "ws");
  const SESSION_KEY = "relaydesk.session";
  const LOG_KEY = "relaydesk.log"; // Transcript; unacked visitor entries in it are the outbox.
  const LOG_LIMIT = 200;
  const MAX_LEN = 4000;
  const MAX_BACKOFF_MS = 10000;
  // Codes that mean "not now" rather than "never": the message is sent again, same client id.
  const RETRYABLE = new Set(["unavailable", "rate_limited"]);
  const RESEND_MS = 2000;

  const T = /^zh/i.test(navigator.language || "") ? {
    title: "在线客服", open: "打开聊天", close: "关闭聊天", send: "发送",
    placeholder: "输入消息…", hint: "Enter 发送，Shift+Enter 换行",
    connecting: "连接中…", online: "在线", offline: "离线 — 恢复连接后会自动发送",
    tooLong: (n) => `消息过长：${n} 字，上限为 ${MAX_LEN} 字。`,
  } : {
    title: "Support chat", open: "Open chat", close: "Close chat", send: "Send",
    placeholder: "Type a message…", hint: "Enter to send, Shift+Enter for a new line",
    connecting: "connecting…", online: "online", offline: "offline — messages will be sent when reconnected",
    tooLong: (n) => `Message is too long: ${n} characters, the limit is ${MAX_LEN}.`,
  };

  const CSS = `
#relaydesk-launcher, #relaydesk-panel { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC",
  "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; box-sizing: border-box; z-index: 2147483000; }
#relaydesk-panel * { box-sizing: border-box; margin: 0; }
#relaydesk-launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border: 0; border-radius: 50%;
  background: #1f2937; color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); display: grid; place-items: center; }
#relaydesk-launcher.rd-unread::after { content: ""; position: absolute; top: 4px; right: 4px; width: 12px; height: 12px;
  border-radius: 50%; background: #ef4444; border: 2px solid #fff; }
#relaydesk-panel { position: fixed; right: 20px; bottom: 88px; width: 360px; max-width: calc(100vw - 40px);
  height: min(520px, calc(100vh - 110px)); display: flex; flex-direction: column; background: #fff; color: #111827;
  border-radius: 14px; box-shadow: 0 10px 30px rgba(0,0,0,.2); overflow: hidden; }
#relaydesk-panel[hidden] { display: none; }
.rd-head { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px; background: #1f2937; color: #fff; }
.rd-head b { font-weight: 600; }
.rd-close { background: none; border: 0; color: inherit; font-size: 22px; line-height: 1; cursor: pointer; }
#relaydesk-status { font-size: 12px; padding: 4px 14px; color: #6b7280; border-bottom: 1px solid #e5e7eb; }
#relaydesk-status::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: #9ca3af; }
#relaydesk-status[data-state="connecting"]::before { background: #f59e0b; }
#relaydesk-status[data-state="online"]::before { background: #10b981; }
#relaydesk-messages { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 6px; background: #f9fafb; }
.rd-msg { max-width: 80%; padding: 8px 12px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere; }
.rd-agent { align-self: flex-start; background: #fff; border: 1px solid #e5e7eb; border-bottom-left-radius: 4px; }
.rd-visitor { align-self: flex-end; background: #2563eb; color: #fff; border-bottom-right-radius: 4px; opacity: .7; }
.rd-visitor.rd-acked { opacity: 1; }
.rd-visitor.rd-acked::after { content: " \\2713"; font-size: 11px; opacity: .85; }
.rd-visitor.rd-failed { background: #9ca3af; opacity: 1; }
.rd-error { align-self: flex-end; max-width: 80%; font-size: 12px; color: #b91c1c; white-space: pre-wrap; }
.rd-error.rd-general { align-self: center; text-align: center; }
.rd-form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; }
#relaydesk-input { flex: 1; resize: none; height: 40px; max-height: 120px; padding: 8px 10px; border: 1px solid #d1d5db;
  border-radius: 10px; font: inherit; color: inherit; background: #fff; }
#relaydesk-input:focus { outline: none; border-color: #2563eb; box-shadow: 0 0 0 3px rgba(37,99,235,.2); }
#relaydesk-send { border: 0; border-radius: 10px; padding: 0 16px; background: #2563eb; color: #fff; font: inherit; cursor: pointer; }
@media (max-width: 480px) {
  #relaydesk-panel { inset: 0; width: auto; max-width: none; height: auto; border-radius: 0; }
  #relaydesk-launcher[aria-expanded="true"] { display: none; }
  #relaydesk-input { font-size: 16px; } /* iOS zooms into inputs under 16px. */
}`;
  const CHAT_ICON = '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" ' +
    'd="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';

  let session = load(SESSION_KEY);
  let log = load(LOG_KEY) || [];
  const bubbles = new Map(); // client_id -> visitor bubble element, for acks and errors.
  let ws = null;
  let retryTimer = 0;
  let attempt = 0;
  let started = false;
  let ui = null;

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function save(key, value) {
    // Storage may be full or disabled (private mode); the widget still works for this page view.
    try {
      if (value == null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* ignore */ }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID only exists in secure contexts; getRandomValues works on plain http too.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function el(tag, props, children) {
    const node = Object.assign(document.createElement(tag), props);
    (children || []).forEach((c) => node.appendChild(c));
    return node;
  }

  function buildUi() {
    document.head.appendChild(el("style", { id: "relaydesk-style", textContent: CSS }));
    const launcher = el("button", { id: "relaydesk-launcher", type: "button", title: T.open, innerHTML: CHAT_ICON });
    launcher.setAttribute("aria-label", T.open);
    launcher.setAttribute("aria-expanded", "false");
    const closeBtn = el("button", { className: "rd-close", type: "button", title: T.close, textContent: "\u00d7" });
    closeBtn.setAttribute("aria-label", T.close);
    const status = el("div", { id: "relaydesk-status" });
    const list = el("div", { id: "relaydesk-messages" });
    list.setAttribute("role", "log");
    list.setAttribute("aria-live", "polite");
    const input = el("textarea", { id: "relaydesk-input", rows: 1, placeholder: T.placeholder, title: T.hint });
    input.setAttribute("aria-label", T.placeholder);
    const sendBtn = el("button", { id: "relaydesk-send", type: "button", textContent: T.send });
    const panel = el("div", { id: "relaydesk-panel", hidden: true }, [
      el("div", { className: "rd-head" }, [el("b", { textContent: T.title }), closeBtn]),
      status, list, el("div", { className: "rd-form" }, [input, sendBtn]),
    ]);
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", T.title);
    document.body.append(launcher, panel);

    launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
    closeBtn.addEventListener("click", close);
    sendBtn.addEventListener("click", submit);
    input.addEventListener("keydown", onKeydown);
    input.addEventListener("input", autosize);
    panel.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
    return { launcher, panel, status, list, input };
  }

  function onKeydown(e) {
    // While an IME (pinyin etc.) is composing, Enter confirms the candidate and must not send.
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    submit();
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + "px";
  }

  function open() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.classList.remove("rd-unread");
    start();
    scrollDown();
    ui.input.focus();
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
  }

  function setStatus(state) {
    ui.status.setAttribute("data-state", state);
    ui.status.textContent = T[state];
  }

  function scrollDown() {
    ui.list.scrollTop = ui.list.scrollHeight;
  }

  function render(entry) {
    const node = el("div", { className: `rd-msg rd-${entry.who}`, textContent: entry.text });
    for (const file of entry.attachments || []) {
      // Only http(s) links, opened apart from this page; the name is shown as text, never as HTML.
      if (!/^https?:\/\//.test(String(file.url))) continue;
      const link = el("a", { className: "rd-file", href: String(file.url), textContent: String(file.name || "file"),
                             target: "_blank", rel: "noopener noreferrer" });
      node.appendChild(document.createElement("br"));
      node.appendChild(link);
    }
    if (entry.who === "visitor") {
      node.setAttribute("data-client-id", entry.client_id);
      node.classList.toggle("rd-acked", !!entry.acked);
      node.classList.toggle("rd-failed", !!entry.failed);
      bubbles.set(entry.client_id, node);
    } else {
      node.setAttribute("data-seq", String(entry.seq));
    }
    ui.list.appendChild(node);
    scrollDown();
  }

  function addEntry(entry) {
    log.push(entry);
    log = log.slice(-LOG_LIMIT); // Bounded so localStorage never grows without limit.
    save(LOG_KEY, log);
    render(entry);
  }

  function showError(text, clientId) {
    const anchor = clientId && bubbles.get(clientId);
    const node = el("div", { className: anchor ? "rd-error" : "rd-error rd-general", textContent: text });
    node.setAttribute("role", "alert");
    if (anchor) anchor.after(node); else ui.list.appendChild(node);
    scrollDown();
  }

  const isPending = (e) => e.who === "visitor" && !e.acked && !e.failed;
  const findVisitor = (id) => log.find((e) => e.who === "visitor" && e.client_id === id);

  function submit() {
    const text = ui.input.value.trim();
    if (!text) return;
    const length = Array.from(text).length; // Code points, as the server counts them.
    if (length > MAX_LEN) return showError(T.tooLong(length)); // Keep the text so it can be shortened.
    ui.input.value = "";
    autosize();
    const entry = { who: "visitor", client_id: uuid(), text: text, acked: false };
    addEntry(entry);
    sendMessage(entry);
    start();
  }

  function sendFrame(frame) {
    // Frames written while not connected are dropped; the outbox resends them on open.
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  function sendMessage(entry) {
    sendFrame({ type: "message", client_id: entry.client_id, text: entry.text });
  }

  function start() {
    if (started) return;
    started = true;
    connect();
  }

  function connect() {
    retryTimer = 0;
    setStatus("connecting");
    ensureSession().then(openSocket).catch(scheduleReconnect);
  }

  function scheduleReconnect() {
    setStatus("offline");
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt++);
    // A random delay in [base/2, base] keeps many clients from reconnecting in lockstep.
    retryTimer = setTimeout(connect, base / 2 + Math.random() * base / 2);
  }

  function ensureSession() {
    // Reuse the stored session unless it expires within a minute.
    if (session && session.token && Date.parse(session.expires_at) > Date.now() + 60000) return Promise.resolve();
    const body = { locale: navigator.language };
    if (attr("data-name")) body.name = attr("data-name");
    return fetch(httpBase + "/webchat/session", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then((res) => {
      if (!res.ok) throw new Error("session request failed: " + res.status);
      return res.json();
    }).then((data) => {
      if (!data || !data.token) throw new Error("session response has no token");
      // A new session numbers its messages from scratch.
      session = { session_id: data.session_id, token: data.token, expires_at: data.expires_at, last_seq: 0 };
      save(SESSION_KEY, session);
    }, (err) => {
      dropSession();
      throw err;
    });
  }

  function dropSession() {
    session = null;
    save(SESSION_KEY, null);
  }

  function openSocket() {
    const sock = new WebSocket(wsBase + "/webchat/ws?token=" + encodeURIComponent(session.token));
    ws = sock;
    sock.onopen = () => {
      attempt = 0;
      setStatus("online");
      sendFrame({ type: "resume", after_seq: session.last_seq || 0 });
      log.filter(isPending).forEach(sendMessage);
    };
    sock.onmessage = (ev) => {
      try { handleFrame(JSON.parse(ev.data)); } catch (e) { /* ignore malformed frames */ }
    };
    sock.onclose = (ev) => {
      ws = null;
      if (ev.code === 4401) dropSession(); // Token rejected: the next connect creates a new session.
      scheduleReconnect();
    };
  }

  function handleFrame(frame) {
    switch (frame && frame.type) {
      case "ack": return onAck(frame);
      case "message": return onAgentMessage(frame);
      case "error": return onError(frame);
      // "resync": the server replays what this socket missed next; onAgentMessage drops any seq already shown.
      // "ready" and unknown frames need no action either.
      default: return undefined;
    }
  }

  function onAck(frame) {
    const entry = findVisitor(frame.client_id);
    if (!entry) return;
    entry.acked = true;
    save(LOG_KEY, log);
    const node = bubbles.get(entry.client_id);
    if (node) node.classList.add("rd-acked");
  }

  function onAgentMessage(frame) {
    // Replays after resume may repeat messages already shown.
    if (!session || !(frame.seq > (session.last_seq || 0))) return;
    session.last_seq = frame.seq;
    save(SESSION_KEY, session);
    addEntry({ who: "agent", seq: frame.seq, text: frame.text == null ? "" : String(frame.text),
               attachments: Array.isArray(frame.attachments) ? frame.attachments : [] });
    if (ui.panel.hidden) ui.launcher.classList.add("rd-unread");
  }

  function onError(frame) {
    const entry = frame.client_id && findVisitor(frame.client_id);
    if (entry && !entry.acked && RETRYABLE.has(frame.code)) {
      // Delayed, not refused: it stays pending (unticked) and goes again shortly.
      setTimeout(() => { if (!entry.acked) sendMessage(entry); }, RESEND_MS);
      return;
    }
    // The server refused this message: stop resending it, the visitor can retype it.
    if (entry && !entry.acked) {
      entry.failed = true;
      save(LOG_KEY, log);
      bubbles.get(entry.client_id).classList.add("rd-failed");
    }
    showError(String(frame.message || frame.code || "error"), entry ? entry.client_id : null);
  }

  function init() {
    ui = buildUi();
    log.forEach(render);
    setStatus("offline");
    window.addEventListener("online", () => {
      // The network came back: skip the rest of the backoff wait.
      if (retryTimer) { clearTimeout(retryTimer); connect(); }
    });
    window.addEventListener("hashchange", () => { if (location.hash === "#chat") open(); });
    if (attr("data-open") === "true" || location.hash === "#chat") open();
    else if (session || log.some(isPending)) start(); // Keep receiving replies in an ongoing conversation.
  }

  window.RelaydeskWidget = { open: () => ui && open(), close: () => ui && close() };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
