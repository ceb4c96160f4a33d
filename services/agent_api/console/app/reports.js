// Reports: one date range and time zone for the page; each /v1/stats figure as a chart with its CSV
// (the API's own text/csv, linked, so the file is exactly what an integration would get).
import { useEffect } from "preact/hooks";
import { signal } from "@preact/signals";
import { html } from "./ui.js";
import { t, number, category, timeZone, lang } from "./i18n.js";
import { api, query } from "./api.js";
import { PRIORITIES, CHANNELS, CATEGORIES } from "./views.js";
import { BarChart } from "./charts.js";
import { duration, errorText, percent, midnightIn, dayIn, Field } from "./figures.js";

const ZONES = [...new Set([timeZone, "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "UTC", "Europe/London", "America/New_York"])];
const STATS = ["response_times", "resolution", "sla", "self_service", "csat", "agents"];

export const range = signal({ start: dayIn(timeZone, -6), end: dayIn(timeZone), tz: timeZone, unit: "day" });
const report = signal({ loading: false, error: "" });

function scope(extra = {}) {
  const r = range.value;
  return { from: midnightIn(r.start, r.tz), to: midnightIn(r.end, r.tz, 1), tz: r.tz, ...extra };
}

const csvHref = (name, extra) => `/v1/stats/${name}${query({ ...scope(extra), format: "csv" })}`;

async function load() {
  const r = range.value;
  if (!r.start || !r.end || r.start > r.end) { report.value = { error: t("badRange") }; return; }
  report.value = { ...report.value, loading: true, error: "" };
  try {
    const get = (name, extra) => api("GET", `stats/${name}${query(scope(extra))}`);
    const [time, byCategory, byChannel, ...rest] = await Promise.all([
      get("volume", { group: r.unit }), get("volume", { group: "category" }), get("volume", { group: "channel" }),
      ...STATS.map((name) => get(name)),
    ]);
    report.value = { loading: false, error: "", time, byCategory, byChannel, ...Object.fromEntries(STATS.map((n, i) => [n, rest[i]])) };
  } catch (error) {
    report.value = { loading: false, error: errorText(error) };
  }
}

function Card({ title, csv, wide, children, testid }) {
  return html`<section class=${`card${wide ? " wide" : ""}`} data-testid=${testid}>
    <div class="card-head"><h2>${title}</h2>
      <a class="csv" href=${csv} download>${t("downloadCsv")}<span class="sr-only">: ${title}</span></a></div>
    ${children}
  </section>`;
}

function bucketLabel(value, unit) {
  const date = new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
  const day = new Intl.DateTimeFormat(lang.value, { timeZone: "UTC", month: "short", day: "numeric" }).format(date);
  const hour = String(value).slice(11, 13);
  return unit === "hour" && hour !== "00" ? `${hour}:00` : day;
}

/** One value per name in `names` (zero where the API has no row), then any names it has beyond them. */
function complete(rows, field, names) {
  const counts = Object.fromEntries(rows.map((row) => [row[field], row.count]));
  const all = [...names, ...Object.keys(counts).filter((n) => !names.includes(n))];
  return { names: all, values: all.map((n) => counts[n] || 0) };
}

function Volume({ data, unit }) {
  const cats = complete(data.byCategory.rows, "category", CATEGORIES);
  const chans = complete(data.byChannel.rows, "channel", CHANNELS);
  return html`
    <${Card} title=${t(unit === "hour" ? "volumeByHour" : "volumeByDay")} csv=${csvHref("volume", { group: unit })} wide testid="report-volume-time">
      <dl class="figures"><div><dt>${t("conversationsTotal")}</dt><dd>${number(data.time.total)}</dd></div></dl>
      <${BarChart} labels=${data.time.rows.map((row) => bucketLabel(row[unit], unit))} series=${[{ name: t("conversations"), values: data.time.rows.map((row) => row.count) }]}
        W=${1200} label=${t(unit === "hour" ? "volumeByHour" : "volumeByDay")} yLabel=${t("unitConversations")} xLabel=${t(unit === "hour" ? "unitHour" : "unitDay")} />
    </${Card}>
    <${Card} title=${t("volumeByCategory")} csv=${csvHref("volume", { group: "category" })} testid="report-volume-category">
      <${BarChart} labels=${cats.names.map(category)} series=${[{ name: t("conversations"), values: cats.values }]}
        label=${t("volumeByCategory")} yLabel=${t("unitConversations")} xLabel=${t("categoryLabel")} />
    </${Card}>
    <${Card} title=${t("volumeByChannel")} csv=${csvHref("volume", { group: "channel" })} testid="report-volume-channel">
      <${BarChart} labels=${chans.names.map((c) => t(c))} series=${[{ name: t("conversations"), values: chans.values }]}
        label=${t("volumeByChannel")} yLabel=${t("unitConversations")} xLabel=${t("channelLabel")} />
    </${Card}>`;
}

const byPriority = (rows) => [...PRIORITIES, "all"].map((p) => rows.find((row) => row.priority === p) || {});
const priorityLabels = () => [...PRIORITIES, "all"].map((p) => (p === "all" ? t("allPriorities") : t(p)));
const minutes = (s) => (s == null ? 0 : s / 60);
const fmtMin = (v) => new Intl.NumberFormat(lang.value, { maximumFractionDigits: 1 }).format(v);

function Times({ rows, name, title, testid }) {
  const ordered = byPriority(rows);
  const all = ordered[ordered.length - 1];
  return html`<${Card} title=${title} csv=${csvHref("response_times")} testid=${testid}>
    <dl class="figures"><div><dt>${t("median")}</dt><dd>${duration(all[`${name}_p50_s`])}</dd></div>
      <div><dt>${t("p90")}</dt><dd>${duration(all[`${name}_p90_s`])}</dd></div></dl>
    <${BarChart} labels=${priorityLabels()} fmt=${fmtMin} label=${title} yLabel=${t("unitMinutes")} xLabel=${t("priorityLabel")}
      series=${[{ name: t("median"), values: ordered.map((r) => minutes(r[`${name}_p50_s`])) },
        { name: t("p90"), values: ordered.map((r) => minutes(r[`${name}_p90_s`])) }]} />
  </${Card}>`;
}

function Sla({ data }) {
  const kinds = ["first_response", "resolution"];
  const rows = data.sla.rows;
  const count = (kind, p) => rows.find((r) => r.kind === kind && r.priority === p)?.breaches || 0;
  const conversations = byPriority(data.response_times.rows).map((r) => r.conversations || 0);
  // Attainment is worked out here: conversations in the range less those that breached, of all of them.
  const attainment = PRIORITIES.concat("all").map((p, i) => {
    const breached = p === "all" ? (rows.find((r) => r.kind === "all")?.breaches || 0) : kinds.reduce((n, k) => n + count(k, p), 0);
    return conversations[i] ? Math.max(0, 1 - breached / conversations[i]) : null;
  });
  return html`<${Card} title=${t("slaTitle")} csv=${csvHref("sla")} testid="report-sla">
    <dl class="figures"><div><dt>${t("attainment")}</dt><dd>${percent(attainment[attainment.length - 1])}</dd></div>
      <div><dt>${t("breaches")}</dt><dd>${number(rows.find((r) => r.kind === "all")?.breaches || 0)}</dd></div></dl>
    <${BarChart} labels=${PRIORITIES.map((p) => t(p))} label=${t("slaTitle")} yLabel=${t("unitBreaches")} xLabel=${t("priorityLabel")}
      series=${kinds.map((k) => ({ name: t(`kind_${k}`), values: PRIORITIES.map((p) => count(k, p)) }))} />
  </${Card}>`;
}

function Resolution({ rows }) {
  const ordered = byPriority(rows);
  return html`<${Card} title=${t("resolutionRate")} csv=${csvHref("resolution")} testid="report-resolution">
    <${BarChart} labels=${priorityLabels()} fmt=${(v) => `${fmtMin(v)} %`} label=${t("resolutionRate")} yLabel=${t("unitPercent")}
      xLabel=${t("priorityLabel")} series=${[{ name: t("resolutionRate"), values: ordered.map((r) => (r.rate || 0) * 100) }]} />
  </${Card}>`;
}

function SelfService({ s }) {
  return html`<${Card} title=${t("selfService")} csv=${csvHref("self_service")} testid="report-self-service">
    <dl class="figures"><div><dt>${t("selfServiceRate")}</dt><dd>${percent(s.rate)}</dd></div></dl>
    <${BarChart} labels=${[t("conversationsTotal"), t("botAnswered"), t("selfServed")]} label=${t("selfService")}
      yLabel=${t("unitConversations")} xLabel="" series=${[{ name: t("conversations"), values: [s.conversations, s.bot_answered, s.self_served] }]} />
  </${Card}>`;
}

function Csat({ c }) {
  const scores = ["1", "2", "3", "4", "5"];
  return html`<${Card} title=${t("csat")} csv=${csvHref("csat")} testid="report-csat">
    <dl class="figures"><div><dt>${t("csatAverage")}</dt><dd>${c.average == null ? t("none") : fmtMin(c.average)}</dd></div>
      <div><dt>${t("responses")}</dt><dd>${number(c.responses)}</dd></div></dl>
    <${BarChart} labels=${scores} label=${t("csat")} yLabel=${t("unitResponses")} xLabel=${t("score")}
      series=${[{ name: t("responses"), values: scores.map((k) => c.distribution[k] || 0) }]} />
  </${Card}>`;
}

function AgentsTable({ rows }) {
  return html`<${Card} title=${t("agentReport")} csv=${csvHref("agents")} wide testid="report-agents">
    <table class="grid-table"><thead><tr><th scope="col">${t("name")}</th><th scope="col" class="num">${t("handled")}</th>
      <th scope="col" class="num">${t("resolutionRate")}</th><th scope="col" class="num">${t("firstResponseMedian")}</th>
      <th scope="col" class="num">${t("csatAverage")}</th></tr></thead>
    <tbody>${rows.map((a) => html`<tr key=${a.agent_id}><td>${a.name}</td><td class="num">${number(a.handled)}</td>
      <td class="num">${percent(a.resolution_rate)}</td><td class="num">${duration(a.first_response_p50_s)}</td>
      <td class="num">${a.csat_average == null ? t("none") : fmtMin(a.csat_average)}</td></tr>`)}</tbody></table>
  </${Card}>`;
}

function RangePicker() {
  const r = range.value;
  const set = (field) => (e) => { range.value = { ...range.value, [field]: e.currentTarget.value }; load(); };
  return html`<form class="range" onSubmit=${(e) => { e.preventDefault(); load(); }}>
    <${Field} id="r-start" label=${t("fromDate")}><input id="r-start" type="date" value=${r.start} max=${r.end} onChange=${set("start")} /></${Field}>
    <${Field} id="r-end" label=${t("toDate")}><input id="r-end" type="date" value=${r.end} min=${r.start} onChange=${set("end")} /></${Field}>
    <${Field} id="r-tz" label=${t("timeZoneLabel")}><select id="r-tz" value=${r.tz} onChange=${set("tz")}>
      ${ZONES.map((z) => html`<option value=${z}>${z}</option>`)}</select></${Field}>
    <${Field} id="r-unit" label=${t("bucket")}><select id="r-unit" value=${r.unit} onChange=${set("unit")}>
      <option value="day">${t("unitDay")}</option><option value="hour">${t("unitHour")}</option></select></${Field}>
  </form>`;
}

export function Reports() {
  useEffect(() => { load(); }, []);
  const data = report.value;
  return html`<div class="screen reports" data-testid="reports">
    <header class="screen-head"><h1>${t("reports")}</h1><div class="actions"><${RangePicker} /></div></header>
    ${data.error && html`<p class="form-error" role="alert">${t("loadFailed", { error: data.error })}</p>`}
    ${data.loading && !data.time && html`<p class="loading">${t("loading")}</p>`}
    ${data.time && html`<div class="charts" aria-busy=${data.loading ? "true" : "false"}>
      <${Volume} data=${data} unit=${data.time.group} />
      <${Times} rows=${data.response_times.rows} name="first_response" title=${t("firstResponse")} testid="report-first-response" />
      <${Times} rows=${data.response_times.rows} name="resolution" title=${t("resolutionTime")} testid="report-resolution-time" />
      <${Sla} data=${data} />
      <${Resolution} rows=${data.resolution.rows} />
      <${SelfService} s=${data.self_service} />
      <${Csat} c=${data.csat} />
      <${AgentsTable} rows=${data.agents.rows} />
    </div>`}
  </div>`;
}
