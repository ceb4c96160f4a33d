// htm bound to Preact, and the few small pieces every screen uses.
import { h } from "preact";
import htm from "htm";
import { t } from "./i18n.js";
import { Icon } from "./icons.js";

export const html = htm.bind(h);

export function ChannelIcon({ channel }) {
  return html`<span class=${`channel channel-${channel}`} title=${t(channel)}><${Icon} name=${channel} label=${t(channel)} /></span>`;
}

export function Priority({ priority }) {
  return html`<span class="badge priority-${priority}">${t(priority)}</span>`;
}

/** The customer's name or, when none is known, the (masked) address the API gave. */
export const who = (row) => row.customer_name || row.customer_address || "";
