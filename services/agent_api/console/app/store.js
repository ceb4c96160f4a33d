// What the console knows: the agent, the conversations seen, unread marks, offers, SLA clocks.
import { signal, computed, batch } from "@preact/signals";
import { api } from "./api.js";

export const me = signal(null);
export const conversations = signal(new Map()); // id -> summary (list row)
export const unread = signal(new Set());
export const previews = signal(new Map()); // id -> last customer text seen live
export const offers = signal(new Map()); // conversation id -> offer event
export const sla = signal(new Map()); // id -> {state: "warning"|"breached", due_at}
export const openId = signal(null);
export const live = signal([]); // events for the open conversation, appended by the stream
export const notifyOn = signal(localStorage.getItem("relaydesk.notify") === "1");
export const toast = signal(null);
export const now = signal(Date.now());
setInterval(() => { now.value = Date.now(); }, 1000);

export const offerList = computed(() => [...offers.value.values()]);

function update(sig, fn) {
  const copy = sig.value instanceof Map ? new Map(sig.value) : new Set(sig.value);
  fn(copy);
  sig.value = copy;
}

export function remember(rows) {
  update(conversations, (map) => rows.forEach((row) => map.set(row.id, { ...map.get(row.id), ...row })));
}

export function markRead(id) {
  if (unread.value.has(id)) update(unread, (set) => set.delete(id));
}

export async function refreshMe() {
  me.value = await api("GET", "me");
}

/** Fold one stream event into what the screens show. Returns the conversation ids it touched. */
export function apply(event, onAssignment) {
  const id = event.conversation_id;
  const known = conversations.value.get(id);
  batch(() => {
    switch (event.type) {
      case "assignment":
        remember([{
          id, channel: event.channel, customer_address: event.customer_address, customer_name: event.customer_name,
          priority: event.priority, category: event.category, status: "assigned", agent_id: event.agent_id,
          updated_at: event.occurred_at, created_at: known?.created_at || event.occurred_at, tags: known?.tags || [],
        }]);
        update(offers, (map) => map.delete(id));
        if (event.preview) update(previews, (map) => map.set(id, event.preview));
        if (id !== openId.value) update(unread, (set) => set.add(id));
        onAssignment?.(event);
        break;
      case "offer":
        update(offers, (map) => map.set(id, event));
        break;
      case "message":
        update(previews, (map) => map.set(id, event.text));
        if (known) remember([{ id, updated_at: event.occurred_at }]);
        if (id !== openId.value) update(unread, (set) => set.add(id));
        break;
      case "resolved":
        if (known) remember([{ id, status: "resolved", resolved_at: event.occurred_at }]);
        update(sla, (map) => map.delete(id));
        break;
      case "unassigned":
        if (known) remember([{ id, status: "queued", agent_id: null }]);
        update(offers, (map) => map.delete(id));
        break;
      case "sla_warning":
      case "sla_breached":
        update(sla, (map) => map.set(id, { state: event.type === "sla_breached" ? "breached" : "warning", due_at: event.due_at }));
        break;
      case "command_rejected":
        toast.value = { kind: "error", key: "refused", vars: { r: event.reason } };
        break;
    }
    if (id && id === openId.value) live.value = [...live.value, event];
  });
}

/** The SLA state of a row at `at`: a countdown that is amber at the warning and red past due. */
export function slaState(id, at) {
  const clock = sla.value.get(id);
  if (!clock) return null;
  const left = new Date(clock.due_at).getTime() - at;
  return { left, state: clock.state === "breached" || left <= 0 ? "breached" : "warning" };
}
