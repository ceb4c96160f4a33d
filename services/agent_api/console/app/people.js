// placeholder
import { html } from "./ui.js";
export function People() { return html`<p class="loading">…</p>`; }
