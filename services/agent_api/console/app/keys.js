// Keyboard shortcuts for the common moves, and the "?" overlay that lists them.
import { useEffect, useState } from "preact/hooks";
import { html } from "./ui.js";
import { t } from "./i18n.js";
import { openId } from "./store.js";

const KEYS = [["j", "keyNext"], ["k", "keyPrev"], ["e", "keyResolve"], ["r", "keyFocus"], ["?", "keyHelp"], ["Esc", "keyEscape"]];

function typing(target) {
  return target.closest?.("input, textarea, select, [contenteditable]");
}

/** Open the row `step` away from the open one in the list as it is shown. */
function move(step) {
  const rows = [...document.querySelectorAll(".rows .row")];
  if (!rows.length) return;
  const at = rows.findIndex((row) => row.dataset.id === openId.value);
  const next = rows[Math.min(rows.length - 1, Math.max(0, at + step))];
  location.hash = `#/c/${next.dataset.id}`;
  next.focus();
}

export function Shortcuts() {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    function onKey(e) {
      if (e.key === "Escape") { setHelp(false); return; }
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const actions = {
        "?": () => setHelp((v) => !v),
        j: () => move(1),
        k: () => move(-1),
        e: () => document.getElementById("resolve")?.click(),
        r: () => document.getElementById("composer-text")?.focus(),
      };
      if (actions[e.key]) { e.preventDefault(); actions[e.key](); }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  if (!help) return null;
  return html`<div class="backdrop" onClick=${(e) => e.target === e.currentTarget && setHelp(false)}>
    <div class="dialog help" role="dialog" aria-modal="true" aria-labelledby="help-title">
      <h3 id="help-title">${t("shortcuts")}</h3>
      <dl>${KEYS.map(([key, label]) => html`<dt><kbd>${key}</kbd></dt><dd>${t(label)}</dd>`)}</dl>
      <div class="dialog-actions"><button class="primary" autofocus onClick=${() => setHelp(false)}>${t("close")}</button></div>
    </div>
  </div>`;
}
