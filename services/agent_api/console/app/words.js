// The supervisor and admin screens' words in en and zh-CN (CONSOLE.md's glossary), added to i18n.js's.
import { addWords } from "./i18n.js";

const en = {
  screens: "Screens", inbox: "Inbox", board: "Live board", reports: "Reports", broadcasts: "Broadcasts",
  people: "People", audit: "Audit log", unmask: "Unmask",
  // Board
  waitingNow: "Waiting now", oldestWait: "Oldest wait", agentsOnline: "Agents online", agentsAway: "away",
  breachesToday: "SLA breaches today", callbacksOverdue: "Callbacks overdue", updatedAt: "Updated {t}",
  queueByPriority: "Queue by priority", queueByCategory: "Queue by category", agentsTable: "Agents",
  load: "Load", capacity: "Capacity", handledToday: "Resolved today", role: "Role",
  liveSla: "SLA warnings and breaches", noSlaEvents: "No SLA warnings or breaches since the board opened.",
  slaWarningWord: "Warning", slaBreachWord: "Breached", kind_first_response: "first response",
  kind_resolution: "resolution", kind_next_response: "next response", dueAt: "due {t}", open: "Open",
  noQueue: "Nobody is waiting — nice work.", noAgents: "No agents yet.", none: "—",
  moreThan: "{n}+", sampled: "from the first {n} queued conversations",
  agent: "Agent", supervisor: "Supervisor", admin: "Admin", conversationShort: "Conversation",
  seconds: "{n} s", minutes: "{n} min", hours: "{h} h {m} min",
  // Reports
  badRange: "Pick a start date on or before the end date.", downloadCsv: "CSV",
  volumeByDay: "Conversations per day", volumeByHour: "Conversations per hour", conversationsTotal: "Conversations",
  unitConversations: "conversations", unitDay: "Day", unitHour: "Hour", volumeByCategory: "Conversations by category",
  volumeByChannel: "Conversations by channel", allPriorities: "All", median: "Median", p90: "90th percentile",
  unitMinutes: "minutes", slaTitle: "SLA breaches and attainment", attainment: "SLA attainment", breaches: "Breaches",
  unitBreaches: "breaches", resolutionRate: "Resolution rate", unitPercent: "% resolved",
  selfService: "FAQ self-service", selfServiceRate: "Self-service rate", botAnswered: "FAQ answered",
  selfServed: "No person needed", csat: "Satisfaction (CSAT)", csatAverage: "Average score", responses: "Responses",
  unitResponses: "responses", score: "Score (1–5)", agentReport: "Agents over the range", handled: "Resolved",
  firstResponseMedian: "First response (median)", fromDate: "From", toDate: "To", timeZoneLabel: "Time zone",
  bucket: "Per", firstResponse: "First response time", resolutionTime: "Resolution time",
};

const zh = {
  screens: "页面", inbox: "收件箱", board: "实时看板", reports: "报表", broadcasts: "群发通知",
  people: "人员", audit: "审计日志", unmask: "查看原文",
  waitingNow: "当前排队", oldestWait: "最长等待", agentsOnline: "在线客服", agentsAway: "离开",
  breachesToday: "今日超出服务时限", callbacksOverdue: "逾期回访", updatedAt: "更新于 {t}",
  queueByPriority: "按优先级排队", queueByCategory: "按类别排队", agentsTable: "客服",
  load: "负载", capacity: "容量", handledToday: "今日已解决", role: "角色",
  liveSla: "服务时限预警与超时", noSlaEvents: "看板打开以来没有服务时限预警或超时。",
  slaWarningWord: "预警", slaBreachWord: "超出服务时限", kind_first_response: "首次响应",
  kind_resolution: "解决", kind_next_response: "后续响应", dueAt: "截止 {t}", open: "打开",
  noQueue: "没有客户在排队——干得好。", noAgents: "还没有客服。", none: "—",
  moreThan: "{n}+", sampled: "基于前 {n} 个排队会话",
  agent: "客服", supervisor: "主管", admin: "管理员", conversationShort: "会话",
  seconds: "{n} 秒", minutes: "{n} 分钟", hours: "{h} 小时 {m} 分钟",
  badRange: "开始日期不能晚于结束日期。", downloadCsv: "CSV",
  volumeByDay: "每日会话量", volumeByHour: "每小时会话量", conversationsTotal: "会话数",
  unitConversations: "会话数", unitDay: "日", unitHour: "小时", volumeByCategory: "按类别的会话量",
  volumeByChannel: "按渠道的会话量", allPriorities: "全部", median: "中位数", p90: "90 分位",
  unitMinutes: "分钟", slaTitle: "超出服务时限与达标率", attainment: "服务时限达标率", breaches: "超时次数",
  unitBreaches: "次", resolutionRate: "解决率", unitPercent: "已解决 %",
  selfService: "常见问题自助解决", selfServiceRate: "自助解决率", botAnswered: "常见问题已回答",
  selfServed: "无需人工", csat: "满意度", csatAverage: "平均分", responses: "回复数",
  unitResponses: "回复数", score: "评分（1–5）", agentReport: "区间内的客服", handled: "已解决",
  firstResponseMedian: "首次响应（中位数）", fromDate: "开始日期", toDate: "结束日期", timeZoneLabel: "时区",
  bucket: "粒度", firstResponse: "首次响应时长", resolutionTime: "解决时长",
};

addWords({ en, "zh-CN": zh });
