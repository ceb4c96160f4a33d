// The console's entry: restore the session (cookie), then the login form or the signed-in shell.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "./ui.js";
import { t, lang } from "./i18n.js";
import { session, restore } from "./api.js";
import { Login } from "./login.js";
import { Shell } from "./shell.js";

function App() {
  const [ready, setReady] = useState(false);
  useEffect(() => { restore().finally(() => setReady(true)); }, []);
  useEffect(() => { document.documentElement.lang = lang.value; document.title = t("app"); }, [lang.value]);
  if (!ready) return html`<p class="loading">${t("loading")}</p>`;
  return session.value ? html`<${Shell} />` : html`<${Login} />`;
}

render(html`<${App} />`, document.getElementById("app"));
