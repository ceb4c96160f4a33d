// The console's words in zh-CN and en, from CONSOLE.md's glossary, and locale-aware dates.
import { signal, computed } from "@preact/signals";

const KEY = "relaydesk.lang";
const LANGS = ["zh-CN", "en"];

function initial() {
  const saved = localStorage.getItem(KEY);
  if (LANGS.includes(saved)) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

export const lang = signal(initial());
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function setLang(value) {
  lang.value = value;
  localStorage.setItem(KEY, value);
  document.documentElement.lang = value;
}

const en = {
  app: "Relaydesk console", name: "Name", password: "Password", login: "Log in", logout: "Log out",
  loggingIn: "Logging in…", invalid: "Wrong name or password.", locked: "Too many attempts. Try again in {s} s.",
  sessionGone: "Your session ended. Please log in again.", loginFailed: "Could not log in ({status}).",
  status: "Status", online: "Online", away: "Away", offline: "Offline", language: "Language",
  reconnecting: "Reconnecting to live updates…", views: "Views",
  mine: "Mine", queue: "Queue", offers: "Offers", all: "All", byStatus: "By status", byChannel: "By channel",
  byPriority: "By priority", byCategory: "By category", byTag: "By tag", tagPlaceholder: "tag, then Enter",
  assigned: "Assigned", queued: "Queued", resolved: "Resolved", bot: "With the bot",
  webchat: "Web chat", wechat: "WeChat", sms: "SMS", email: "Email",
  urgent: "Urgent", high: "High", normal: "Normal", low: "Low",
  conversations: "Conversations", loading: "Loading…", loadFailed: "Could not load: {error}", retry: "Retry",
  emptyMine: "No conversations waiting — nice work.", emptyView: "Nothing here.",
  emptyOffers: "No offers right now.", unread: "Unread", slaBreached: "SLA breached", slaDue: "SLA {t}",
  accept: "Accept", decline: "Decline", offerExpires: "expires in {s} s", offer: "Offer",
  pick: "Pick a conversation on the left.", back: "Back",
  customer: "Customer", agentSide: "Agent", botSide: "Bot", system: "System",
  sent: "Sent", delivered: "Delivered", failed: "Failed", sending: "Sending…",
  reply: "Reply", note: "Internal note", noteMode: "Internal note — only your team sees this",
  composerReply: "Reply to the customer (Enter sends, Shift+Enter new line, / canned responses)",
  composerNote: "Write an internal note (never sent to the customer)",
  send: "Send", addNote: "Add note", attach: "Attach", attachments: "Attachments", remove: "Remove",
  sendFailed: "Not sent: {error}. Your text is kept.", uploadFailed: "Upload failed: {error}",
  canned: "Canned responses", noCanned: "No canned response matches.",
  tags: "Tags", addTag: "Add tag", transfer: "Transfer", resolve: "Resolve", reopen: "Reopen",
  toTeam: "To team", toAgent: "To agent (id)", toQueue: "Leave both empty to return it to the queue.",
  transferNote: "Note for the receiver", cancel: "Cancel", confirm: "Confirm", done: "Done",
  profile: "Profile", identities: "Identities", consent: "Consent", past: "Past conversations",
  smsOptedOut: "SMS: opted out", smsOk: "SMS: allowed", emailUnsub: "Email: unsubscribed", emailOk: "Email: allowed",
  wechatUnfollowed: "WeChat: unfollowed", wechatOk: "WeChat: following", noProfile: "No profile linked yet.",
  unreachable: "unreachable", masked: "masked", download: "Download", customerPanel: "Customer",
  notify: "Notify me of new assignments", newAssignment: "New conversation assigned",
  shortcuts: "Keyboard shortcuts", keyNext: "Next conversation", keyPrev: "Previous conversation",
  keyResolve: "Resolve the open conversation", keyFocus: "Focus the composer", keyHelp: "Show this help",
  keyEscape: "Close dialogs", close: "Close", justNow: "just now", minAgo: "{n} min ago", hAgo: "{n} h ago",
  transferred: "Transferred", reopened: "Reopened", retrySend: "Retry",
  reason_window_closed: "WeChat only allows replies within 48 hours of the customer's last message.",
  reason_opted_out: "The customer opted out of this channel.", reason_unknown: "The channel refused it: {r}",
  refused: "Not done: {r}", loadMore: "Loading more…", me: "me", categoryLabel: "Category", priorityLabel: "Priority",
  channelLabel: "Channel", attachmentAlt: "Image sent by {who}",
  cat_account: "Account", cat_transaction: "Transaction", cat_payment: "Payment", cat_loan: "Loan",
  cat_security: "Security", cat_feature: "Feature", cat_complaint: "Complaint", cat_other: "Other",
};

const zh = {
  app: "Relaydesk 客服台", name: "用户名", password: "密码", login: "登录", logout: "退出登录",
  loggingIn: "正在登录…", invalid: "用户名或密码错误。", locked: "尝试次数过多，请 {s} 秒后再试。",
  sessionGone: "会话已结束，请重新登录。", loginFailed: "无法登录（{status}）。",
  status: "状态", online: "在线", away: "离开", offline: "离线", language: "语言",
  reconnecting: "正在重新连接实时更新…", views: "视图",
  mine: "我的", queue: "排队", offers: "邀请接入", all: "全部", byStatus: "按状态", byChannel: "按渠道",
  byPriority: "按优先级", byCategory: "按类别", byTag: "按标签", tagPlaceholder: "输入标签后按 Enter",
  assigned: "已分配", queued: "排队中", resolved: "已解决", bot: "机器人处理中",
  webchat: "网页聊天", wechat: "微信", sms: "短信", email: "邮件",
  urgent: "紧急", high: "高", normal: "普通", low: "低",
  conversations: "会话", loading: "加载中…", loadFailed: "加载失败：{error}", retry: "重试",
  emptyMine: "没有等待中的会话——干得好。", emptyView: "这里没有会话。",
  emptyOffers: "目前没有邀请接入。", unread: "未读", slaBreached: "超出服务时限", slaDue: "服务时限 {t}",
  accept: "接受", decline: "拒绝", offerExpires: "{s} 秒后失效", offer: "邀请接入",
  pick: "请从左侧选择一个会话。", back: "返回",
  customer: "客户", agentSide: "客服", botSide: "机器人", system: "系统",
  sent: "已发送", delivered: "已送达", failed: "发送失败", sending: "发送中…",
  reply: "回复", note: "内部备注", noteMode: "内部备注——仅团队可见",
  composerReply: "回复客户（Enter 发送，Shift+Enter 换行，/ 快捷回复）",
  composerNote: "填写内部备注（不会发送给客户）",
  send: "发送", addNote: "添加备注", attach: "附件", attachments: "附件", remove: "移除",
  sendFailed: "未发送：{error}。内容已保留。", uploadFailed: "上传失败：{error}",
  canned: "快捷回复", noCanned: "没有匹配的快捷回复。",
  tags: "标签", addTag: "添加标签", transfer: "转接", resolve: "解决", reopen: "重新打开",
  toTeam: "转接给团队", toAgent: "转接给客服（ID）", toQueue: "都不填则退回排队。",
  transferNote: "给接收人的备注", cancel: "取消", confirm: "确认", done: "完成",
  profile: "客户资料", identities: "身份", consent: "订阅状态", past: "历史会话",
  smsOptedOut: "短信：已退订", smsOk: "短信：可发送", emailUnsub: "邮件：已退订", emailOk: "邮件：可发送",
  wechatUnfollowed: "微信：已取消关注", wechatOk: "微信：已关注", noProfile: "尚未关联客户资料。",
  unreachable: "无法联系", masked: "已脱敏", download: "下载", customerPanel: "客户",
  notify: "新分配会话时提醒我", newAssignment: "有新会话分配给你",
  shortcuts: "键盘快捷键", keyNext: "下一个会话", keyPrev: "上一个会话",
  keyResolve: "解决当前会话", keyFocus: "聚焦输入框", keyHelp: "显示本帮助",
  keyEscape: "关闭对话框", close: "关闭", justNow: "刚刚", minAgo: "{n} 分钟前", hAgo: "{n} 小时前",
  transferred: "已转接", reopened: "已重新打开", retrySend: "重试",
  reason_window_closed: "微信只允许在客户最后一条消息后 48 小时内回复。",
  reason_opted_out: "客户已退订此渠道。", reason_unknown: "渠道拒绝了此消息：{r}",
  refused: "未完成：{r}", loadMore: "正在加载更多…", me: "我", categoryLabel: "类别", priorityLabel: "优先级",
  channelLabel: "渠道", attachmentAlt: "{who}发送的图片",
  cat_account: "账户", cat_transaction: "交易", cat_payment: "支付", cat_loan: "贷款",
  cat_security: "安全", cat_feature: "功能", cat_complaint: "投诉", cat_other: "其他",
};

const WORDS = { en, "zh-CN": zh };
const dict = computed(() => WORDS[lang.value]);

/** The word for `key` in the current language, with {placeholders} filled in. */
export function t(key, vars = {}) {
  const text = dict.value[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// Building an Intl.DateTimeFormat costs far more than formatting with one, and every history
// entry and list row formats a date on every render: one formatter per locale and pattern.
const formatters = new Map();

function formatter(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, { timeZone, ...options });
    formatters.set(key, found);
  }
  return found;
}

const DAY = (en) => ({ year: "numeric", month: en ? "short" : "long", day: "numeric" });

/** A date as CONSOLE.md writes it: "2026年12月3日 09:10" / "3 Dec 2026, 09:10", in the agent's zone. */
export function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const en = lang.value === "en";
  return formatter(en ? "en-GB" : "zh-CN", { ...DAY(en), hour: "2-digit", minute: "2-digit", hour12: false })
    .format(date);
}

export function formatDay(iso) {
  const en = lang.value === "en";
  return formatter(en ? "en-GB" : "zh-CN", DAY(en)).format(new Date(iso));
}

export function formatTime(iso) {
  return formatter(lang.value, { hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
}

/** "刚刚" / "5 分钟前" under a day, the date after. */
export function age(iso, now = Date.now()) {
  const seconds = (now - new Date(iso).getTime()) / 1000;
  if (seconds < 60) return t("justNow");
  if (seconds < 3600) return t("minAgo", { n: Math.floor(seconds / 60) });
  if (seconds < 86400) return t("hAgo", { n: Math.floor(seconds / 3600) });
  return formatDay(iso);
}

/** A countdown "12:05" (or "-03:10" past due), minutes and seconds. */
export function countdown(ms) {
  const sign = ms < 0 ? "-" : "";
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return sign + (h ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`);
}

/** A request category in words; one the console does not know is shown as the API names it. */
export const category = (name) => (en[`cat_${name}`] ? t(`cat_${name}`) : name);

export const number = (n) => new Intl.NumberFormat(lang.value).format(n);

/** More words from another module (the supervisor screens keep theirs in words.js). */
export function addWords(more) {
  Object.assign(en, more.en);
  Object.assign(zh, more["zh-CN"]);
}
