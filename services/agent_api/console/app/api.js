// The public agent API over fetch: the session cookie, CSRF on writes, errors as exceptions.
import { signal } from "@preact/signals";

export const session = signal(null); // {agent, csrf_token, idle_timeout_s} or null
export const sessionEnded = signal(false);
let inFlight = new AbortController(); // aborted at logout: nothing still running asks as a logged-out agent

export class ApiError extends Error {
  constructor(status, body, headers) {
    const error = body && typeof body.error === "object" ? body.error : body; // {"error": {"code", "message"}}
    super((error && (error.message || error.code || error.error)) || `HTTP ${status}`);
    this.status = status;
    this.code = error && (error.code || error.error);
    this.retryAfter = Number(headers?.get("Retry-After") || 0);
  }
}

/** Call `/v1/<path>`; JSON in, JSON out (null for 204); a 401 ends the session. */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body instanceof Blob) {
    headers["Content-Type"] = body.type || "application/octet-stream";
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (method !== "GET" && session.value) headers["X-CSRF-Token"] = session.value.csrf_token;
  const response = await fetch(`/v1/${path}`, {
    method, headers, body: payload, credentials: "same-origin", signal: options.signal ?? inFlight.signal,
  });
  const text = response.status === 204 ? "" : await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text.slice(0, 200) }; }
  if (!response.ok) {
    if (response.status === 401 && !options.quiet && session.value) {
      session.value = null;
      sessionEnded.value = true;
    }
    throw new ApiError(response.status, data, response.headers);
  }
  return data;
}

/** `?a=1&b=x,y` from an object, leaving out empty values. */
export function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(Array.isArray(v) ? v.join(",") : v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export async function login(name, password) {
  session.value = await api("POST", "session", { name, password }, { quiet: true });
  sessionEnded.value = false;
}

export async function restore() {
  try {
    session.value = await api("GET", "session", undefined, { quiet: true });
  } catch (error) {
    if (error.status !== 401) throw error;
  }
}

export async function logout() {
  inFlight.abort();
  inFlight = new AbortController();
  try { await api("DELETE", "session"); } finally { session.value = null; }
}
