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

// ---- places in words ------------------------------------------------------------------
//
// A place is said differently by its kind: "at the stop X", "in Harsdorf", "at Kirchplatz 1",
// "near Harsdorf", "at 50.03, 11.55". Each language has a template per kind and per role
// (bare label, at, from, to) in its word file: place_stop, place_at_stop, place_from_stop,
// place_to_stop, ... A sentence then uses {pickup_at} or {pickup_from}, whichever its
// grammar needs (Turkish says "X durağından" where English says "at the stop X").

const PLACE_ROLES = ["", "at", "from", "to"];
const POINT = /^(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)$/;
const stopSources = new Map();
let stopsLoading = null;

/** The service's stops and what each is (a bus stop or a village centre); loaded once. */
export function loadStops() {
  if (!stopsLoading) {
    stopsLoading = api("/v1/stops", { retries: 1 })
      .then((stops) => { for (const s of stops) stopSources.set(s.stop_id, s.source); return stops; })
      .catch(() => { stopsLoading = null; return []; });
  }
  return stopsLoading;
}

/** What kind of place this is: {kind: stop|village|address|near|point, name, lat, lon}. */
export function placeKind(place) {
  if (!place) return { kind: "address", name: "" };
  if (place.placeType) return { ...place, kind: place.placeType };
  const name = place.name || "";
  const near = /^near (.+)$/.exec(name);
  if (near) return { kind: "near", name: near[1] };
  const point = POINT.exec(name);
  if (point || !name) {
    return { kind: "point", name, lat: point ? point[1] : place.lat?.toFixed(5), lon: point ? point[2] : place.lon?.toFixed(5) };
  }
  if (place.stop_id) return { kind: stopSources.get(place.stop_id) === "place" ? "village" : "stop", name };
  return { kind: "address", name };
}

/** A place in words: role "" (a label), "at", "from" or "to". */
export function placePhrase(place, role = "", dict = words) {
  const p = placeKind(place);
  const key = role ? `place_${role}_${p.kind}` : `place_${p.kind}`;
  return t(key, { name: p.name, lat: p.lat ?? "", lon: p.lon ?? "" }, dict);
}

/** The label of a place (no preposition): for tables and lists. */
export const placeName = (place, dict = words) => placePhrase(typeof place === "string" ? { name: place } : place, "", dict);

/** {pickup, pickup_at, pickup_from, pickup_to} for a sentence's placeholders. */
export function placeVars(prefix, place, dict = words) {
  return Object.fromEntries(PLACE_ROLES.map((role) => [role ? `${prefix}_${role}` : prefix, placePhrase(place, role, dict)]));
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

/** ``value`` with ``digits`` decimals, written the way the page's language writes numbers. */
export function decimal(value, digits = 1) {
  return new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

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

// ---- the service's clock ----------------------------------------------------------------
//
// Times are shown and filled in on the service's clock (GET /v1/clock), not the device's:
// in the demo the service runs on demo time (maybe faster), and a phone's clock may be off.

const clock = { base: Date.now(), at: performance.now(), speedup: 1, demo: false, synced: false };
let clockSync = null;

/** The service's "now" as a Date (the device's clock until the service has answered). */
export function serviceNow() {
  return new Date(clock.base + (performance.now() - clock.at) * clock.speedup);
}

async function syncClock() {
  const sent = performance.now();
  try {
    const answer = await api("/v1/clock", { retries: 0 });
    const received = performance.now();
    clock.speedup = Number(answer.speedup) > 0 ? Number(answer.speedup) : 1;
    clock.base = Date.parse(answer.now) + ((received - sent) / 2) * clock.speedup;
    clock.at = received;
    clock.demo = Boolean(answer.demo);
    clock.synced = true;
  } catch { /* keep counting from the last answer (or the device's clock) */ }
  showServiceClock();
}

/** Ask the service for its time now and every minute; resolves once it answered (or failed). */
export function startClock() {
  if (!clockSync) {
    clockSync = syncClock();
    setInterval(syncClock, 60000);
    setInterval(showServiceClock, 1000);
  }
  return clockSync;
}

const clockFormat = new Intl.DateTimeFormat(lang, { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });

/** In the demo, the header says so and shows the demo's time ("Demo time: Tue 07:00"). */
function showServiceClock() {
  const node = document.getElementById("service-clock");
  if (!node) return;
  node.hidden = !clock.demo;
  if (clock.demo) node.textContent = t("demo_time", { time: clockFormat.format(serviceNow()) });
}

/** Parts of an instant in the service's zone, as the values of date and time inputs. */
export function localParts(when) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(when)).map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** The service's date and time (plus `addMinutes`), as the values of date and time inputs. */
export function localNow(addMinutes = 0) {
  return localParts(serviceNow().getTime() + addMinutes * 60000);
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
  node.replaceChildren();
  // A web address in a notice (e.g. where a trip from another area is booked) is a link.
  for (const part of (message || "").split(/(https?:\/\/[^\s]+[^\s.,;:!?)])/)) {
    if (/^https?:\/\//.test(part)) {
      const link = document.createElement("a");
      link.href = part;
      link.textContent = part;
      node.append(link);
    } else if (part) {
      node.append(part);
    }
  }
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
      const r = await fetch(`${AREA_BASE}/v1/health`, { cache: "no-store" });
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
/** The service area whose API this page talks to: "/areas/NAME" when the page was
 * opened under /areas/NAME/ (a deployment of several areas), else "" (the default area). */
export const AREA_BASE = (location.pathname.match(/^\/areas\/[a-z0-9-]+/) || [""])[0];

/** In a deployment of several service areas, a choice of area in the page's header
 * (#area-choice): choosing one opens the same page of that area. */
export async function setupAreaChoice() {
  const box = document.getElementById("area-choice");
  const select = document.getElementById("area");
  if (!box || !select) return;
  let areas;
  try {
    areas = await (await fetch("/v1/areas", { cache: "no-store" })).json();
  } catch {
    return;
  }
  if (!Array.isArray(areas) || areas.length < 2) return;
  const current = AREA_BASE ? AREA_BASE.slice("/areas/".length) : areas[0].area;
  for (const a of areas) {
    const option = el("option", { value: a.area }, a.name);
    option.selected = a.area === current;
    select.append(option);
  }
  box.hidden = false;
  select.addEventListener("change", () => {
    const page = location.pathname.slice(AREA_BASE.length) || "/";
    location.href = `/areas/${select.value}${page}${location.search}${location.hash}`;
  });
}

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
      response = await fetch(path.startsWith("/v1/") ? AREA_BASE + path : path, init);
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
  [/starts in service area '([a-z0-9-]+)'/i, (m) => t("err_other_area", { area: m[1], url: `${location.origin}/areas/${m[1]}/` })],
  [/is in service area '([a-z0-9-]+)'/i, (m) => t("err_between_areas", { area: m[1] })],
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
    loadStops();
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
      }, hit.name, el("span", { class: "context", text: hitContext(hit) }))),
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
    clearTimeout(this.timer);
    this.seq += 1; // a search still under way must not reopen the list
    this.set(chosenPlace(hit));
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

/** The second line of a suggestion: what it is and where ("Stop · Harsdorf"). */
function hitContext(hit) {
  const what = t(`hit_${hit.kind}`);
  return hit.context && hit.context !== hit.name ? `${what} · ${hit.context}` : what;
}

/** A chosen suggestion as a place: a village by its centre stop where it has one. */
function chosenPlace(hit) {
  const label = hit.context && !hit.name.includes(hit.context) ? `${hit.name}, ${hit.context}` : hit.name;
  if (hit.kind === "stop") return { name: label, stop_id: hit.id, placeType: "stop" };
  if (hit.kind === "place" && stopSources.get(hit.id) === "place") return { name: hit.name, stop_id: hit.id, placeType: "village" };
  if (hit.kind === "place") return { name: hit.name, lat: hit.lat, lon: hit.lon, placeType: "village" };
  return { name: label, lat: hit.lat, lon: hit.lon, placeType: "address" };
}

/** Staff pages: the agent's token lives in this tab's session storage only. */
export const staffToken = {
  get: () => sessionStorage.getItem("rufbus_staff_token"),
  set: (token) => sessionStorage.setItem("rufbus_staff_token", token),
  clear: () => sessionStorage.removeItem("rufbus_staff_token"),
};
