// Plain SVG charts for the reports and the board: bars and lines with labelled axes and units.
// No chart library: a handful of rectangles and paths is all a support report needs, and every
// label is a text node (never markup).
import { html } from "./ui.js";
import { number } from "./i18n.js";

const H = 240, PAD = { top: 16, right: 14, bottom: 46, left: 58 };
const COLOURS = ["#1f5fbf", "#b3261e", "#1c6b3a", "#8a5300", "#6b4bb5"];

/** A round step so that about `count` ticks cover 0..max (1, 2 or 5 times a power of ten). */
export function niceStep(max, count = 4) {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step;
}

function ticks(max) {
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const out = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return { top, out };
}

/** Every n-th label so that they do not overlap (about 12 on a chart). */
function every(count) {
  return Math.max(1, Math.ceil(count / 12));
}

function Axes({ top, out, fmt, yLabel, xLabel, plotW, plotH }) {
  const W = plotW + PAD.left + PAD.right;
  return html`<g class="axes">
    ${out.map((v) => {
      const y = PAD.top + plotH - (v / top) * plotH;
      return html`<g><line x1=${PAD.left} x2=${PAD.left + plotW} y1=${y} y2=${y} class="grid" />
        <text x=${PAD.left - 6} y=${y + 4} text-anchor="end" class="tick">${fmt(v)}</text></g>`;
    })}
    <line x1=${PAD.left} x2=${PAD.left} y1=${PAD.top} y2=${PAD.top + plotH} class="axis" />
    <line x1=${PAD.left} x2=${PAD.left + plotW} y1=${PAD.top + plotH} y2=${PAD.top + plotH} class="axis" />
    <text x=${14} y=${PAD.top + plotH / 2} transform=${`rotate(-90 14 ${PAD.top + plotH / 2})`}
      text-anchor="middle" class="axis-label">${yLabel}</text>
    <text x=${PAD.left + plotW / 2} y=${H - 6} text-anchor="middle" class="axis-label">${xLabel}</text>
  </g>`;
}

function Legend({ series }) {
  if (series.length < 2) return null;
  return html`<figcaption class="legend">${series.map((s, k) => html`<span>
    <span class="swatch" style=${{ background: COLOURS[k % COLOURS.length] }} aria-hidden="true"></span>${s.name}</span>`)}
  </figcaption>`;
}

/** Vertical bars, grouped when there are several series: `series` is [{name, values}] over `labels`;
 * a missing value draws as zero, never as a gap. */
export function BarChart({ labels, series, label, yLabel, xLabel, fmt = number, testid, W = 600 }) {
  const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
  const values = series.map((s) => labels.map((_, i) => Number(s.values[i]) || 0));
  const { top, out } = ticks(Math.max(0, ...values.flat()));
  const slot = plotW / Math.max(1, labels.length);
  const bar = Math.min(slot * 0.7, 56 * series.length) / Math.max(1, series.length);
  const inset = (slot - bar * series.length) / 2;
  const step = every(labels.length);
  return html`<figure class="line-figure">
    <svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label} data-testid=${testid}>
      <${Axes} top=${top} out=${out} fmt=${fmt} yLabel=${yLabel} xLabel=${xLabel} plotW=${plotW} plotH=${plotH} />
      ${labels.map((l, i) => {
        const x = PAD.left + i * slot;
        return html`<g>
          ${series.map((s, k) => {
            const h = (values[k][i] / top) * plotH;
            return html`<rect x=${x + inset + k * bar} y=${PAD.top + plotH - h} width=${Math.max(1, bar)} height=${h}
              class="bar" style=${{ fill: COLOURS[k % COLOURS.length] }}>
              <title>${`${series.length > 1 ? `${s.name}, ` : ""}${l}: ${fmt(values[k][i])}`}</title></rect>`;
          })}
          ${i % step === 0 && html`<text x=${x + slot / 2} y=${PAD.top + plotH + 16} text-anchor="middle" class="tick">${l}</text>`}
        </g>`;
      })}
    </svg>
    <${Legend} series=${series} />
  </figure>`;
}

/** Lines over shared x labels: `series` is [{name, values}] (null values are drawn as zero). */
export function LineChart({ labels, series, label, yLabel, xLabel, fmt = number, testid, W = 600 }) {
  const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
  const all = series.flatMap((s) => s.values.map((v) => Number(v) || 0));
  const { top, out } = ticks(Math.max(0, ...all));
  const x = (i) => PAD.left + (labels.length < 2 ? plotW / 2 : (i / (labels.length - 1)) * plotW);
  const y = (v) => PAD.top + plotH - ((Number(v) || 0) / top) * plotH;
  const step = every(labels.length);
  return html`<figure class="line-figure">
    <svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label} data-testid=${testid}>
      <${Axes} top=${top} out=${out} fmt=${fmt} yLabel=${yLabel} xLabel=${xLabel} plotW=${plotW} plotH=${plotH} />
      ${labels.map((l, i) => i % step === 0 &&
        html`<text x=${x(i)} y=${PAD.top + plotH + 16} text-anchor="middle" class="tick">${l}</text>`)}
      ${series.map((s, k) => html`<g style=${{ color: COLOURS[k % COLOURS.length] }}>
        <path class="line" d=${s.values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")} />
        ${s.values.map((v, i) => html`<circle cx=${x(i)} cy=${y(v)} r="3" class="point">
          <title>${`${s.name}, ${labels[i]}: ${fmt(Number(v) || 0)}`}</title></circle>`)}
      </g>`)}
    </svg>
    <${Legend} series=${series} />
  </figure>`;
}

/** Horizontal bars in HTML (readable across a room): [{label, value, tone}] against `max`. */
export function HBars({ data, max, fmt = number, testid }) {
  const top = Math.max(1, max ?? Math.max(0, ...data.map((d) => d.value)));
  return html`<ul class="hbars" data-testid=${testid}>
    ${data.map((d) => html`<li>
      <span class="hbar-label">${d.label}</span>
      <span class="hbar-track"><span class=${`hbar-fill ${d.tone || ""}`} style=${{ width: `${(100 * d.value) / top}%` }}></span></span>
      <span class="hbar-value">${fmt(d.value)}</span>
    </li>`)}
  </ul>`;
}
