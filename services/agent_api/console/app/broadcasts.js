// placeholder
import { html } from "./ui.js";
export function Broadcasts() { return html`<p class="loading">…</p>`; }
