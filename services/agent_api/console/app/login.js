// The login form: a name field, a password field; Enter submits; 401 and 429 said in words.
import { useState } from "preact/hooks";
import { html } from "./ui.js";
import { t, lang, setLang } from "./i18n.js";
import { login, sessionEnded } from "./api.js";

export function Login() {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(sessionEnded.value ? t("sessionGone") : "");

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await login(name.trim(), password);
    } catch (err) {
      setPassword("");
      if (err.status === 401) setError(t("invalid"));
      else if (err.status === 429) setError(t("locked", { s: err.retryAfter || 60 }));
      else setError(t("loginFailed", { status: err.status || err.message }));
    } finally {
      setBusy(false);
    }
  }

  return html`<main class="login-screen">
    <form class="login" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">${t("app")}</h1>
      <label for="login-name">${t("name")}</label>
      <input id="login-name" name="username" autocomplete="username" required autofocus
        value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
      <label for="login-password">${t("password")}</label>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required
        value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("loggingIn") : t("login")}</button>
      <div class="login-lang">
        <label for="login-lang">${t("language")}</label>
        <select id="login-lang" value=${lang.value} onChange=${(e) => setLang(e.currentTarget.value)}>
          <option value="zh-CN">中文</option><option value="en">English</option>
        </select>
      </div>
    </form>
  </main>`;
}
