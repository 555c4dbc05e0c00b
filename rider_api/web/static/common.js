// Shared by all pages: words, the API with retries and the offline banner, formatting,
// small DOM helpers and the place search with suggestions (an ARIA combobox).

const wordsNode = document.getElementById("words");
export const words = wordsNode ? JSON.parse(wordsNode.textContent) : {};
export const lang = document.documentElement.lang || "de";
export const zone = document.documentElement.dataset.zone || "Europe/Berlin";
const LANG_KEY = "rufbus_lang";

/** The word for `key` in the page's language, with `{name}` placeholders filled. */
export function t(key, vars = {}, dict = words) {
  const text = dict[key] ?? words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** A place's name; the service names an address by its nearest village ("near Harsdorf"). */
export function placeName(name, dict = words) {
  const near = /^near (.+)$/.exec(name || "");
  return near ? t("near_place", { place: near[1] }, dict) : name || "";
}

// ---- language ---------------------------------------------------------------------------

export function setupLanguage() {
  const select = document.getElementById("language");
  const remembered = localStorage.getItem(LANG_KEY);
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked) {
    localStorage.setItem(LANG_KEY, asked);
  } else if (remembered && remembered !== lang) {
    switchLanguage(remembered);
    return;
  }
  if (select) select.addEventListener("change", () => switchLanguage(select.value));
}

function switchLanguage(code) {
  localStorage.setItem(LANG_KEY, code);
  document.cookie = `rufbus_lang=${encodeURIComponent(code)}; max-age=31536000; path=/; samesite=lax`;
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.replace(url.toString());
}

// ---- formatting -------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
const dayFormat = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", timeZone: zone });
const shortDayFormat = new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "numeric", timeZone: zone });

export const time = (iso, locale) => (iso ? formatter(locale, "time").format(new Date(iso)) : "–");
export const day = (iso, locale) => (iso ? formatter(locale, "day").format(new Date(iso)) : "–");
export const shortDay = (iso) => (iso ? shortDayFormat.format(new Date(iso)) : "–");

function formatter(locale, kind) {
  if (!locale || locale === lang) return kind === "time" ? timeFormat : dayFormat;
  const options = kind === "time"
    ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }
    : { weekday: "long", day: "numeric", month: "long", timeZone: zone };
  return new Intl.DateTimeFormat(locale, options);
}

/** Today's date and a time in the service's zone, as the values of date and time inputs. */
export function localNow(addMinutes = 0) {
  const when = new Date(Date.now() + addMinutes * 60000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(when).map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** The local date (YYYY-MM-DD, service zone) of an ISO instant. */
export function localDate(iso) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date(iso));
}

export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- DOM --------------------------------------------------------------------------------

export const $ = (selector, root = document) => root.querySelector(selector);

/** `el("p", {class: "x"}, "text", child)`; attributes starting with "on" become listeners. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Say something to screen-reader users without moving their focus. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = message; }, 50);
}

export function showNotice(node, message, kind = "error") {
  node.className = `notice ${kind}`;
  node.textContent = message || "";
}

export function focusHeading(node) {
  if (!node) return;
  node.setAttribute("tabindex", "-1");
  node.focus();
}

// ---- API --------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];
let offline = false;

function setOffline(value) {
  const banner = document.getElementById("banner");
  if (value === offline || !banner) return;
  offline = value;
  banner.hidden = !value;
  banner.textContent = value ? t("offline") : "";
  if (!value) announce(t("back_online"));
  if (value) watchRecovery();
}

function watchRecovery() {
  const ping = async () => {
    if (!offline) return;
    try {
      const r = await fetch("/v1/health", { cache: "no-store" });
      if (r.ok) { setOffline(false); return; }
    } catch { /* still offline */ }
    setTimeout(ping, 3000);
  };
  setTimeout(ping, 3000);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * JSON from the service. Network failures and 502/503/504 are retried with back-off
 * (`retries` times) while a banner says the server is unreachable; other failures
 * throw an ApiError carrying the problem+json body.
 */
export async function api(path, { method = "GET", body, token, headers = {}, retries = RETRY_DELAYS_MS.length } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, cache: "no-store" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  for (let attempt = 0; ; attempt += 1) {
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      response = null;
    }
    const transient = response === null || [502, 503, 504].includes(response.status);
    if (transient && attempt < retries) {
      setOffline(true);
      await sleep(RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]);
      continue;
    }
    if (response === null) {
      setOffline(true);
      throw new ApiError(0, null);
    }
    setOffline(false);
    const text = await response.text();
    const data = text ? safeJson(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
}

function safeJson(text) {
  try { return JSON.parse(text); } catch { return { detail: text }; }
}

const KNOWN_PROBLEMS = [
  [/requested time is in the past/i, () => t("err_past")],
  [/at most (\d+) days ahead/i, (m) => t("err_horizon", { days: m[1] })],
  [/runs from (\d\d:\d\d) to (\d\d:\d\d)/i, (m) => t("err_hours", { start: m[1], end: m[2] })],
  [/does not run on/i, () => t("err_closed")],
  [/outside the service area|too far from the road/i, () => t("err_area")],
  [/same (place|stop)/i, () => t("err_same")],
  [/at least (\d+) minutes ahead/i, (m) => t("err_notice", { minutes: m[1] })],
];

/** A friendly sentence in the page's language; staff pages also get the server's detail. */
export function explain(error, { staff = false } = {}) {
  if (!(error instanceof ApiError)) return t("err_server");
  const detail = error.problem?.detail || "";
  if (error.status === 0) return t("err_offline");
  if (error.status === 401 || error.status === 403) return t("err_auth");
  if (error.status === 404) return t("err_notfound");
  if (error.status >= 500) return t("err_server");
  for (const [pattern, say] of KNOWN_PROBLEMS) {
    const match = detail.match(pattern);
    if (match) return say(match);
  }
  const lead = error.status === 409 ? t("err_conflict") : t("err_input");
  return staff || lang === "en" ? `${lead} (${detail})` : lead;
}

// ---- place search with suggestions --------------------------------------------------------

let comboCount = 0;

/**
 * Turns `<input>` into a combobox that suggests stops, places and streets from
 * GET /v1/places?q=. `combo.value` is the chosen place ({name, stop_id} or {name, lat, lon})
 * or null while the text does not match a chosen suggestion.
 */
export class PlaceCombo {
  constructor(input, { onChange = () => {} } = {}) {
    comboCount += 1;
    this.input = input;
    this.onChange = onChange;
    this.value = null;
    this.hits = [];
    this.active = -1;
    this.seq = 0;
    this.list = el("ul", { role: "listbox", id: `${input.id || "combo" + comboCount}-list`, hidden: true, "aria-label": t("suggestions") });
    input.after(this.list);
    input.parentElement.classList.add("combo");
    Object.entries({
      role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
      "aria-controls": this.list.id, autocomplete: "off", spellcheck: "false",
    }).forEach(([k, v]) => input.setAttribute(k, v));
    input.addEventListener("input", () => this.typed());
    input.addEventListener("keydown", (e) => this.key(e));
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  set(place) {
    this.value = place;
    this.input.value = place ? place.name : "";
    this.input.removeAttribute("aria-invalid");
    this.onChange(place);
  }

  typed() {
    this.value = null;
    clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (q.length < 2) { this.close(); return; }
    this.timer = setTimeout(() => this.search(q), 200);
  }

  async search(q) {
    const seq = ++this.seq;
    let hits;
    try {
      hits = await api(`/v1/places?q=${encodeURIComponent(q)}&limit=8`, { retries: 1 });
    } catch {
      return;
    }
    if (seq !== this.seq) return;
    this.hits = hits;
    this.render();
  }

  render() {
    this.list.replaceChildren(
      ...this.hits.map((hit, i) => el("li", {
        role: "option", id: `${this.list.id}-${i}`, "aria-selected": String(i === this.active),
        onmousedown: (e) => { e.preventDefault(); this.choose(i); },
      }, hit.name, hit.context ? el("span", { class: "context", text: hit.context }) : null)),
    );
    if (!this.hits.length) this.list.append(el("li", { role: "option", "aria-disabled": "true", "aria-selected": "false", text: t("no_suggestions") }));
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    announce(this.hits.length ? t("suggestions_count", { n: this.hits.length }) : t("no_suggestions"));
  }

  key(e) {
    const open = !this.list.hidden && this.hits.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!open) return;
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.hits.length) % this.hits.length;
      this.render();
      this.input.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
    } else if (e.key === "Enter" && open) {
      e.preventDefault();
      this.choose(this.active >= 0 ? this.active : 0);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      this.close();
    }
  }

  choose(i) {
    const hit = this.hits[i];
    if (!hit) return;
    const label = hit.context && !hit.name.includes(hit.context) ? `${hit.name}, ${hit.context}` : hit.name;
    this.set(hit.kind === "stop" ? { name: label, stop_id: hit.id } : { name: label, lat: hit.lat, lon: hit.lon });
    this.close();
  }

  close() {
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  /** The place as the quotes API wants it. */
  location() {
    if (!this.value) return null;
    return this.value.stop_id ? { stop_id: this.value.stop_id } : { lat: this.value.lat, lon: this.value.lon };
  }
}

/** Staff pages: the agent's token lives in this tab's session storage only. */
export const staffToken = {
  get: () => sessionStorage.getItem("rufbus_staff_token"),
  set: (token) => sessionStorage.setItem("rufbus_staff_token", token),
  clear: () => sessionStorage.removeItem("rufbus_staff_token"),
};
