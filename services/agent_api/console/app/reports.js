// placeholder
import { html } from "./ui.js";
export function Reports() { return html`<p class="loading">…</p>`; }
