// Small helpers the supervisor screens share: durations in words, API errors in words, day bounds.
import { t, number } from "./i18n.js";
import { html } from "./ui.js";

/** "45 s", "12 min", "2 h 5 min" from seconds; "—" when there is no figure. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return t("none");
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("seconds", { n: s });
  if (s < 3600) return t("minutes", { n: Math.floor(s / 60) });
  return t("hours", { h: number(Math.floor(s / 3600)), m: Math.floor((s % 3600) / 60) });
}

/** What went wrong in words (api.js takes the message from the API's error body). */
export function errorText(error) {
  return error?.message || String(error);
}

/** Midnight today in the browser's zone, as an instant the API reads (ISO 8601 with Z). */
export function startOfToday(now = new Date()) {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  return day.toISOString();
}

/** A percentage "87.5 %" (locale digits) from a 0..1 rate; "—" without one. */
export function percent(rate) {
  if (rate === null || rate === undefined) return t("none");
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(rate * 100)} %`;
}

/** How far `tz`'s wall clock is ahead of UTC at `instant` (ms). */
function offset(instant, tz) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall - instant;
}

/** Midnight starting the day "2024-05-06" (plus `days`) in time zone `tz`, as an ISO instant. */
export function midnightIn(day, tz, days = 0) {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d + days);
  let instant = wall - offset(wall, tz);
  instant = wall - offset(instant, tz); // once more: the offset may differ across a DST change
  return new Date(instant).toISOString();
}

/** Today's date "YYYY-MM-DD" in `tz`, `days` from now. */
export function dayIn(tz, days = 0) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(Date.now() + days * 86_400_000));
  return parts;
}

/** A labelled control: the label names it by `for`, so its name is the label's words alone. */
export function Field({ id, label, children, hint, full }) {
  return html`<div class=${`field${full ? " full" : ""}`}><label for=${id}>${label}</label>${children}
    ${hint && html`<span class="hint-inline" id=${`${id}-hint`}>${hint}</span>`}</div>`;
}
