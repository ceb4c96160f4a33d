// placeholder
import { html } from "./ui.js";
export function Audit() { return html`<p class="loading">…</p>`; }
export function Unmask() { return html`<p class="loading">…</p>`; }
