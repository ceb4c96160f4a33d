// Small inline SVG icons (not emoji: a machine without an emoji font would show boxes).
import { html } from "./ui.js";

const PATHS = {
  webchat: "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
  wechat: "M9 3C5 3 2 5.7 2 9c0 1.9 1 3.6 2.6 4.7L4 16l2.7-1.4c.7.2 1.5.3 2.3.3h.4A5.6 5.6 0 0 1 9 13c0-3.3 3.1-6 7-6h.6C15.8 4.7 12.7 3 9 3zm7 6c-3.3 0-6 2.2-6 5s2.7 5 6 5c.6 0 1.2-.1 1.8-.2L20 20l-.5-2.1c1.5-.9 2.5-2.3 2.5-3.9 0-2.8-2.7-5-6-5z",
  sms: "M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5H7zm4 14.5a1 1 0 1 0 2 0 1 1 0 0 0-2 0z",
  email: "M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2.4V17h16V7.4l-8 5.3-8-5.3zM5.6 7 12 11.2 18.4 7H5.6z",
  lock: "M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3z",
  clip: "M16.5 6.5 8 15a2 2 0 0 0 2.8 2.8l8.5-8.5a4 4 0 0 0-5.6-5.6L5 12.4a6 6 0 0 0 8.5 8.5l6-6-1.4-1.4-6 6a4 4 0 0 1-5.7-5.7l8.7-8.7a2 2 0 0 1 2.8 2.8l-8.5 8.5-.1.1-1.4-1.4 8.5-8.5z",
  phone: "M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.3c1.1.4 2.3.6 3.6.6a1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.3.2 2.5.6 3.6a1 1 0 0 1-.3 1l-2.2 2.2z",
};

export function Icon({ name, label }) {
  return html`<svg class=${`icon icon-${name}`} viewBox="0 0 24 24" width="16" height="16" fill="currentColor"
    role=${label ? "img" : undefined} aria-label=${label} aria-hidden=${label ? undefined : "true"}
    focusable="false"><path d=${PATHS[name] || PATHS.webchat} /></svg>`;
}
