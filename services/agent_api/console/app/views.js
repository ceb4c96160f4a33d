// The inbox's views: what each asks the API for, and which rows (after live changes) still belong.
import { me } from "./store.js";

export const CHANNELS = ["webchat", "wechat", "sms", "email"];
export const PRIORITIES = ["urgent", "high", "normal", "low"];
export const STATUSES = ["assigned", "queued", "resolved", "bot"];
export const CATEGORIES = ["account", "transaction", "payment", "loan", "security", "feature", "complaint", "other"];

/** A view key ("mine", "channel:sms", "tag:vip") as query parameters and a row test. */
export function view(key) {
  const [kind, value] = key.split(":");
  switch (kind) {
    case "mine":
      return { params: { agent_id: "me", status: ["assigned"] }, keeps: (r) => r.status === "assigned" && r.agent_id === me.value?.id };
    case "queue":
      return { params: { status: ["queued"] }, keeps: (r) => r.status === "queued" };
    case "all":
      return { params: {}, keeps: () => true };
    case "status":
      return { params: { status: [value] }, keeps: (r) => r.status === value };
    case "channel":
      return { params: { channel: [value] }, keeps: (r) => r.channel === value };
    case "priority":
      return { params: { priority: [value] }, keeps: (r) => r.priority === value };
    case "category":
      return { params: { category: [value] }, keeps: (r) => r.category === value };
    case "tag":
      return { params: { tag: value }, keeps: (r) => !r.tags || r.tags.includes(value) };
    default:
      return { params: {}, keeps: () => true };
  }
}

/** Does a live assignment belong at the top of this view? */
export function takesAssignment(key) {
  return ["mine", "all", "status:assigned"].includes(key) || key.startsWith("channel:") || key.startsWith("priority:") || key.startsWith("category:");
}
