// The supervisor's and admin's screens: a route in the hash (#/board, #/reports, …), their links in
// the header, and the stream events they show. Agents see none of it (the API would refuse them too).
import { useEffect } from "preact/hooks";
import { signal } from "@preact/signals";
import { html } from "./ui.js";
import { t } from "./i18n.js";
import { session } from "./api.js";
import "./words.js";
import { Board, boardEvent } from "./board.js";
import { Reports } from "./reports.js";
import { Broadcasts } from "./broadcasts.js";
import { People } from "./people.js";
import { Audit, Unmask } from "./audit.js";
import { callbacksOpen } from "./callbacks.js";

const SCREENS = [
  ["board", "supervisor", Board],
  ["reports", "supervisor", Reports],
  ["broadcasts", "supervisor", Broadcasts],
  ["people", "admin", People],
  ["unmask", "supervisor", Unmask],
  ["audit", "admin", Audit],
];

const role = () => session.value?.agent?.role;
const allowed = (needs) => (needs === "admin" ? role() === "admin" : ["supervisor", "admin"].includes(role()));

/** The supervisor screen the hash names, if this person may see it. */
function screenOf(hash) {
  const name = (hash.match(/^#\/([a-z]+)$/) || [])[1];
  const found = SCREENS.find(([key, needs]) => key === name && allowed(needs));
  return found ? found[0] : null;
}

export const screen = signal(screenOf(location.hash));

export function supervisorEvent(event) {
  boardEvent(event);
}

export function SupervisorNav() {
  useEffect(() => {
    const route = () => { screen.value = screenOf(location.hash); };
    route();
    window.addEventListener("hashchange", route);
    return () => window.removeEventListener("hashchange", route);
  }, []);
  if (!allowed("supervisor")) return null;
  const current = (key) => screen.value === key && !(key === null && callbacksOpen.value); // callbacks.js has its link
  const link = (key, label) => html`<a href=${key ? `#/${key}` : "#/"} class=${`nav-link${current(key) ? " on" : ""}`}
    aria-current=${current(key) ? "page" : undefined}>${label}</a>`;
  return html`<nav class="top-nav" aria-label=${t("screens")}>
    ${link(null, t("inbox"))}
    ${SCREENS.filter(([, needs]) => allowed(needs)).map(([key]) => link(key, t(key)))}
  </nav>`;
}

export function SupervisorScreen() {
  const found = SCREENS.find(([key]) => key === screen.value);
  if (!found) return null;
  const Screen = found[2];
  return html`<main class="screen-pane" id="screen"><${Screen} /></main>`;
}
