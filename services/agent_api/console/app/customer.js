// The customer beside the conversation: profile, identities, consent, past conversations.
import { useEffect, useState } from "preact/hooks";
import { html, ChannelIcon } from "./ui.js";
import { Icon } from "./icons.js";
import { t, formatDate, category } from "./i18n.js";
import { api } from "./api.js";
import { toast } from "./store.js";
import { ProfileLink } from "./profile-link.js";

export function CustomerPanel({ conversationId }) {
  const [view, setView] = useState(null);
  const [error, setError] = useState("");
  const load = () => api("GET", `conversations/${conversationId}/customer`).then(setView, (e) => setError(e.message));
  useEffect(() => {
    setView(null);
    load();
  }, [conversationId]);
  function linked(key) {
    toast.value = { kind: "ok", key };
    load();
  }
  if (error) return html`<aside class="customer" tabindex="0" aria-label=${t("customerPanel")}><p class="list-error">${t("loadFailed", { error })}</p></aside>`;
  if (!view) return html`<aside class="customer" tabindex="0" aria-label=${t("customerPanel")}><p class="loading">${t("loading")}</p></aside>`;
  const c = view.consent;
  return html`<aside class="customer" tabindex="0" aria-label=${t("customerPanel")}>
    <h2>${t("profile")}</h2>
    ${view.id ? html`<dl class="profile">
        <dt>${t("name")}</dt><dd>${view.name || "—"}</dd>
        ${view.phone && html`<dt><${Icon} name="phone" label="phone" /></dt><dd>${view.phone}</dd>`}
        ${view.email && html`<dt><${Icon} name="email" label="email" /></dt><dd>${view.email}</dd>`}
        ${view.language && html`<dt>${t("language")}</dt><dd>${view.language}</dd>`}
      </dl>` : html`<p class="hint">${t("noProfile")}</p>
      <${ProfileLink} conversationId=${conversationId} onDone=${linked}
        suggestedName=${view.identities.map((i) => i.display_name).find(Boolean) || ""} />`}
    <h3>${t("identities")}</h3>
    <ul class="identities">${view.identities.map((i) => html`<li><${ChannelIcon} channel=${i.channel} />
      <span>${i.display_name || i.address}</span>${i.display_name && html` <span class="muted">${i.address}</span>`}
      ${i.reachable === false && html` <span class="badge warn">${t("unreachable")}</span>`}</li>`)}</ul>
    <h3>${t("consent")}</h3>
    <ul class="consent">
      <li>${c.sms_opted_out ? t("smsOptedOut") : t("smsOk")}</li>
      <li>${c.email_unsubscribed ? t("emailUnsub") : t("emailOk")}</li>
      <li>${c.wechat_unfollowed ? t("wechatUnfollowed") : t("wechatOk")}</li>
    </ul>
    <h3>${t("past")}</h3>
    <ul class="past">${view.conversations.map((p) => html`<li>
      <${ChannelIcon} channel=${p.channel} />
      ${p.worked_on && p.id !== conversationId ? html`<a href=${`#/c/${p.id}`}>${formatDate(p.created_at)}</a>` : html`<span>${formatDate(p.created_at)}</span>`}
      <span class="badge">${category(p.category)}</span><span class="badge status">${t(p.status) || p.status}</span></li>`)}</ul>
  </aside>`;
}
