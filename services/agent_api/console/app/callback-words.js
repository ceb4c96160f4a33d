// The callbacks (回访) screen's words in en and zh-CN (CONSOLE.md's glossary), added to i18n.js's.
import { addWords } from "./i18n.js";

const en = {
  callbacks: "Callbacks", callbacksCount: "Callbacks: {due} due, {overdue} overdue",
  cbOverdue: "Overdue", cbDueNow: "Due now", cbUpcoming: "Upcoming", cbPool: "Unassigned pool", cbClosed: "Closed",
  cbEmptyMine: "No callbacks due — nice work.", cbEmptyPool: "Nobody's callbacks are waiting.",
  cbPick: "Pick a callback on the left to prepare the call.", cbDue: "Due {t}", cbOverdueSince: "Overdue since {t}",
  cbAttempts: "Unanswered calls: {n}", cbReason: "Why we call", cbPrepare: "What to prepare", cbNote: "Note",
  cbHistory: "History", cbCustomer: "Customer", cbSource: "Source", src_rule: "After a resolved conversation",
  src_preapproval: "Pre-approval", src_agent: "Scheduled by an agent", cbOpenConversation: "Open the conversation",
  cbClaim: "Claim", cbClaimed: "Claimed — it is yours.", cbNotYours: "Another agent has this callback.",
  cbMine: "Yours", cbUnassigned: "Unassigned", cbReveal: "Reveal number",
  cbRevealTitle: "Reveal the customer's number?",
  cbRevealText: "The full number is shown to you to place the call, and the reveal is recorded in the audit log under your name.",
  cbCall: "Call {phone}", cbRevealNotDue: "The number can be revealed once the callback is due.",
  cbOutcome: "How did the call go?", out_reached: "Reached", out_no_answer: "No answer", out_wrong_number: "Wrong number",
  out_reschedule: "Reschedule", out_resolved: "Resolved", cbRescheduleAt: "Call again at", cbOutcomeNote: "Notes",
  cbSave: "Record outcome", cbSaved: "Recorded.", cbPickOutcome: "Pick how the call went.",
  cbPickTime: "Pick a time in the future to call again.", cbRejected: "Not done: {r}",
  hist_created: "Created", hist_assigned: "Assigned", hist_claimed: "Claimed", hist_overdue: "Overdue",
  hist_rescheduled: "Rescheduled", hist_no_answer: "No answer", hist_closed: "Closed", hist_due: "Due",
  res_reached: "Reached", res_resolved: "Resolved", res_wrong_number: "Wrong number", res_unreachable: "Unreachable",
  cbBack: "Back to the list", cbApplication: "Application",
};

const zh = {
  callbacks: "回访", callbacksCount: "回访：{due} 个到期，{overdue} 个逾期",
  cbOverdue: "已逾期", cbDueNow: "已到期", cbUpcoming: "即将到期", cbPool: "待认领", cbClosed: "已关闭",
  cbEmptyMine: "没有到期的回访——干得好。", cbEmptyPool: "没有待认领的回访。",
  cbPick: "请从左侧选择一个回访，准备通话。", cbDue: "{t} 到期", cbOverdueSince: "自 {t} 起逾期",
  cbAttempts: "未接通次数：{n}", cbReason: "回访原因", cbPrepare: "通话前准备", cbNote: "备注",
  cbHistory: "处理记录", cbCustomer: "客户", cbSource: "来源", src_rule: "会话解决后回访",
  src_preapproval: "预审批", src_agent: "客服创建", cbOpenConversation: "打开会话",
  cbClaim: "认领", cbClaimed: "已认领，由你负责。", cbNotYours: "该回访由其他客服负责。",
  cbMine: "我的", cbUnassigned: "未分配", cbReveal: "显示号码",
  cbRevealTitle: "显示客户的完整号码？",
  cbRevealText: "完整号码仅用于本次回访拨号，此操作将以你的名义记入审计日志。",
  cbCall: "拨打 {phone}", cbRevealNotDue: "回访到期后才能显示号码。",
  cbOutcome: "通话结果", out_reached: "已接通", out_no_answer: "无人接听", out_wrong_number: "号码错误",
  out_reschedule: "改约时间", out_resolved: "已解决", cbRescheduleAt: "再次回访时间", cbOutcomeNote: "备注",
  cbSave: "记录结果", cbSaved: "已记录。", cbPickOutcome: "请选择通话结果。",
  cbPickTime: "请选择一个将来的时间再次回访。", cbRejected: "未完成：{r}",
  hist_created: "创建", hist_assigned: "分配", hist_claimed: "认领", hist_overdue: "逾期",
  hist_rescheduled: "改约", hist_no_answer: "无人接听", hist_closed: "关闭", hist_due: "到期",
  res_reached: "已接通", res_resolved: "已解决", res_wrong_number: "号码错误", res_unreachable: "无法联系",
  cbBack: "返回列表", cbApplication: "申请",
};

addWords({ en, "zh-CN": zh });
