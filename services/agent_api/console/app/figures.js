// Small helpers the supervisor screens share: durations in words, API errors in words, day bounds.
import { t, number } from "./i18n.js";

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
