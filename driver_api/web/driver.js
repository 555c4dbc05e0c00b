// The driver's page: live plan over a websocket, big buttons for stop events, a "Navigate"
// link for the tablet's map app, an offline map drawn from the service's own road data.
// No libraries, no CDN. The words come from the page (the server fills in the language).
"use strict";

const $ = (id) => document.getElementById(id);
// The service area this page belongs to: "/areas/NAME" when opened under /areas/NAME/
// (a deployment of several areas), else "" (the default area). Every call goes there.
const AREA_BASE = (location.pathname.match(/^\/areas\/[a-z0-9-]+/) || [""])[0];
const words = JSON.parse($("words").textContent);
const state = {
  vehicle: null, token: null, ws: null, plan: null, shiftId: null, connected: false,
  outbox: new Map(), // id -> message, resent after a reconnect until answered
  retry: 0, map: null, position: null, lastPositionSent: 0, onBreak: false, shiftStatus: null,
  arrivedAt: null, // the stop this device reported "arrived" at (until the plan moves on)
};

// ---- words and times ----------------------------------------------------------------------

function t(key, vars = {}) {
  const text = words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}
function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
/** "HH:MM" of an ISO time as the service wrote it (in the service's zone). */
function hhmm(iso) { return iso ? iso.slice(11, 16) : "–"; }

/** A stop's place in the page's language ("near X", "Break (X)" are written by the service). */
function stopPlace(stop) {
  const name = stop.name || "";
  const framed = /^(Break|Depot) \((.+)\)$/.exec(name);
  if (framed) return t(framed[1] === "Break" ? "place_break" : "place_depot", { name: localName(framed[2]) });
  if (stop.kind === "break") return t("kind_break");
  if (stop.kind === "depot") return t("kind_depot");
  return localName(name);
}
function localName(name) {
  const near = /^near (.+)$/.exec(name);
  return near ? t("place_near", { name: near[1] }) : name;
}

// ---- the service's clock --------------------------------------------------------------------
//
// Events and positions carry the service's time, not the tablet's: in the demo the service
// runs on demo time, and a tablet's clock may be off. GET /v1/clock says how fast it runs;
// without it, the server's time in "welcome" and every "ping" keeps the page close.

const clock = { base: Date.now(), at: performance.now(), speedup: 1, demo: false, offsetMin: null, fromApi: false };

function serviceNow() {
  return new Date(clock.base + (performance.now() - clock.at) * clock.speedup);
}
function zoneOffset(iso) {
  const m = /([+-])(\d\d):(\d\d)$/.exec(iso || "");
  return m ? (m[1] === "-" ? -1 : 1) * (parseInt(m[2], 10) * 60 + parseInt(m[3], 10)) : iso && iso.endsWith("Z") ? 0 : null;
}
function serverTime(iso) {
  if (!iso) return;
  clock.offsetMin = zoneOffset(iso) ?? clock.offsetMin;
  if (clock.fromApi) return;
  clock.base = Date.parse(iso);
  clock.at = performance.now();
  showClock();
}
async function syncClock() {
  const sent = performance.now();
  try {
    const response = await fetch(`${AREA_BASE}/v1/clock`, { cache: "no-store" });
    if (!response.ok) return;
    const answer = await response.json();
    const received = performance.now();
    clock.speedup = Number(answer.speedup) > 0 ? Number(answer.speedup) : 1;
    clock.base = Date.parse(answer.now) + ((received - sent) / 2) * clock.speedup;
    clock.at = received;
    clock.demo = Boolean(answer.demo);
    clock.offsetMin = zoneOffset(answer.now);
    clock.fromApi = true;
  } catch { /* keep the server times from the stream */ }
  showClock();
}
function showClock() {
  const now = serviceNow();
  const local = new Date(now.getTime() + (clock.offsetMin ?? -now.getTimezoneOffset()) * 60000);
  const time = `${String(local.getUTCHours()).padStart(2, "0")}:${String(local.getUTCMinutes()).padStart(2, "0")}`;
  $("clock").textContent = t(clock.demo ? "demo_time" : "service_time", { time });
}

// ---- notices ----------------------------------------------------------------------------------

function newId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
function notice(text, bad = false, ms = 6000) {
  const el = $("notice");
  el.textContent = text;
  el.className = bad ? "notice bad" : "notice";
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => el.classList.add("hidden"), ms);
}
function banner(text, ok = false) {
  const el = $("banner");
  if (!text) { el.classList.add("hidden"); return; }
  el.textContent = text;
  el.className = ok ? "banner ok" : "banner";
}
function decodePolyline(text) {
  const points = []; let lat = 0, lon = 0, i = 0;
  while (i < text.length) {
    for (const axis of [0, 1]) {
      let shift = 0, result = 0, b;
      do { b = text.charCodeAt(i++) - 63; result |= (b & 0x1f) << shift; shift += 5; } while (b >= 0x20);
      const delta = result & 1 ? ~(result >> 1) : result >> 1;
      if (axis === 0) lat += delta; else lon += delta;
    }
    points.push([lat / 1e5, lon / 1e5]);
  }
  return points;
}

// ---- language ----------------------------------------------------------------------------------

function setupLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  const remembered = localStorage.getItem("rufbus_lang");
  if (asked) localStorage.setItem("rufbus_lang", asked);
  else if (remembered && remembered !== document.documentElement.lang) { switchLanguage(remembered); return; }
  $("language").addEventListener("change", () => switchLanguage($("language").value));
}
function switchLanguage(code) {
  localStorage.setItem("rufbus_lang", code);
  document.cookie = `rufbus_lang=${encodeURIComponent(code)}; max-age=31536000; path=/; samesite=lax`;
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.replace(url.toString());
}

// ---- login and connection -------------------------------------------------------------

function login(vehicle, token) {
  state.vehicle = vehicle; state.token = token;
  localStorage.setItem("rufbus.driver", JSON.stringify({ vehicle, token }));
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("shift-actions").classList.remove("hidden");
  $("vehicle-name").textContent = vehicle;
  const saved = JSON.parse(localStorage.getItem(`rufbus.plan.${vehicle}`) || "null");
  if (saved) { state.plan = saved; state.shiftId = saved.shift_id; render(false); }
  loadMap();
  refreshShift();
  connect();
}

function logout() {
  localStorage.removeItem("rufbus.driver");
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  location.hash = ""; location.reload();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}${AREA_BASE}/v1/vehicles/${encodeURIComponent(state.vehicle)}/stream`);
  state.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({
      type: "hello", token: state.token,
      last_version: state.plan ? state.plan.version : null, shift_id: state.shiftId,
    }));
  };
  ws.onmessage = (event) => receive(JSON.parse(event.data));
  ws.onclose = (event) => {
    state.ws = null;
    state.connected = false;
    showStatus();
    if (event.code === 1008) {
      $("login").classList.remove("hidden"); $("app").classList.add("hidden");
      $("shift-actions").classList.add("hidden");
      $("login-error").textContent = t("wrong_token");
      localStorage.removeItem("rufbus.driver");
      return;
    }
    const wait = Math.min(30, 2 ** state.retry++);
    banner(t("connection_lost", { s: wait }));
    setTimeout(connect, wait * 1000);
  };
}

function send(message) {
  const full = { id: newId(), ...message };
  if (full.type === "stop_event") state.outbox.set(full.id, full);
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(full));
  return full.id;
}

function receive(message) {
  switch (message.type) {
    case "welcome":
      state.retry = 0;
      state.connected = true;
      banner(t("connected"), true); setTimeout(() => banner(null), 1500);
      if (message.shift_id !== state.shiftId && state.plan && state.plan.shift_id !== message.shift_id) {
        state.plan = null; render(false);
      }
      state.shiftId = message.shift_id;
      serverTime(message.server_time);
      for (const pending of state.outbox.values()) state.ws.send(JSON.stringify(pending));
      showStatus();
      break;
    case "plan": {
      const changed = state.plan !== null && state.plan.version !== message.version;
      const before = state.plan;
      state.plan = message; state.shiftId = message.shift_id;
      localStorage.setItem(`rufbus.plan.${state.vehicle}`, JSON.stringify(message));
      render(changed, before);
      if (changed) notice(t("plan_changed", { n: message.version }));
      send({ type: "ack", version: message.version });
      break;
    }
    case "ping":
      serverTime(message.at);
      break;
    case "ok":
      state.outbox.delete(message.id);
      if (message.detail && message.detail.startsWith("booking")) notice(message.detail, false, 3000);
      break;
    case "error":
      state.outbox.delete(message.id);
      notice(`${t("refused")}: ${message.detail}`, true);
      break;
  }
}

// ---- plan --------------------------------------------------------------------------------

function bookingStops(plan) { return plan ? plan.stops.filter((s) => s.booking_id) : []; }
/** The stop the bus serves next: a pickup, a drop-off or a planned break. */
function nextStop(plan) { return plan ? plan.stops.find((s) => s.kind !== "depot") || null : null; }

function render(changed, before = null) {
  const plan = state.plan;
  if (state.arrivedAt && !(plan?.stops || []).some((s) => s.stop_id === state.arrivedAt)) state.arrivedAt = null;
  $("version").textContent = plan ? `(${t("version", { n: plan.version })})` : "";
  const oldIds = new Set(before ? before.stops.map((s) => `${s.stop_id}@${s.eta}`) : []);
  $("stops").innerHTML = (plan ? plan.stops : []).map((s) => {
    const fresh = changed && !oldIds.has(`${s.stop_id}@${s.eta}`);
    const who = s.rider ? `${esc(s.rider.first_name)}${s.rider.notes ? ` – <em>${esc(s.rider.notes)}</em>` : ""}` : "";
    const window = s.kind === "pickup" ? t("window", { start: hhmm(s.window_start), end: hhmm(s.window_end) })
      : s.kind === "dropoff" ? t("by", { time: hhmm(s.window_end) }) : s.kind === "break" ? t("until", { time: hhmm(s.window_end) }) : "";
    const count = s.passengers ? `${t("passengers", { n: s.passengers })}${s.wheelchairs ? ` · ${t("wheelchairs", { n: s.wheelchairs })}` : ""}` : "";
    return `<li class="${fresh ? "changed" : ""}"><span class="time">${hhmm(s.service_start || s.eta)}</span>
      <span><span class="tag ${esc(s.kind)}">${esc(t(`kind_${s.kind}`))}</span> ${esc(stopPlace(s))}
      <br><span class="muted">${esc(window)}</span> ${who}</span><span class="count">${esc(count)}</span></li>`;
  }).join("") || `<li><span></span><span class="muted">${esc(t("no_stops"))}</span></li>`;
  renderNext();
  showStatus();
  drawMap();
}

/** A link that hands the stop to the tablet's navigation app (OsmAnd and others open geo: links). */
function navigateLink(stop) {
  const place = stopPlace(stop);
  const at = `${Number(stop.lat).toFixed(6)},${Number(stop.lon).toFixed(6)}`;
  const href = `geo:${at}?q=${at}(${encodeURIComponent(place)})`;
  return `<a class="button big nav" id="navigate" href="${esc(href)}" aria-label="${esc(t("navigate_label", { place }))}">${esc(t("navigate"))}</a>`;
}

function renderNext() {
  const next = bookingStops(state.plan)[0];
  const el = $("next-body");
  if (!next) {
    el.innerHTML = `<p class="name">${esc(t("next_none"))}</p><p class="muted">${esc(t("next_none_hint"))}</p>`;
    return;
  }
  const pickup = next.kind === "pickup";
  const who = next.rider ? `${esc(next.rider.first_name)}${next.rider.notes ? ` – ${esc(next.rider.notes)}` : ""}` : "";
  const counts = [t("passengers", { n: next.passengers }), next.wheelchairs ? t("wheelchairs", { n: next.wheelchairs }) : null].filter(Boolean).join(" · ");
  // The same arrival as the status line above (with the wait when the bus is early).
  const times = [arrival(next),
    pickup ? t("window", { start: hhmm(next.window_start), end: hhmm(next.window_end) }) : t("by", { time: hhmm(next.window_end) })].join(" · ");
  el.innerHTML = `
    <p class="kind">${esc(t(`kind_${next.kind}`))} · ${esc(counts)}</p>
    <p class="name">${esc(stopPlace(next))}</p>
    <p class="times">${esc(times)}</p>
    <p class="who">${who}</p>
    ${navigateLink(next)}
    <div class="buttons">
      <button type="button" class="big" data-event="arrived">${esc(t("arrived"))}</button>
      ${pickup ? `<button type="button" class="big go" data-event="boarded">${esc(t("boarded"))}</button>`
        : `<button type="button" class="big go" data-event="alighted">${esc(t("alighted"))}</button>`}
      ${pickup ? `<button type="button" class="big warn" data-event="no_show">${esc(t("no_show"))}</button>` : ""}
    </div>`;
  for (const button of el.querySelectorAll("button[data-event]")) {
    button.onclick = () => {
      const event = button.dataset.event;
      if (event === "no_show" && !confirm(t("no_show_confirm"))) return;
      send({ type: "stop_event", stop_id: next.stop_id, event, at: serviceNow().toISOString() });
      if (event === "arrived") state.arrivedAt = next.stop_id;
      button.disabled = true;
      showStatus();
    };
  }
}

const AT_STOP_M = 60;

function distanceM(a, b) {
  const kx = Math.cos(((a[0] + b[0]) / 2) * Math.PI / 180);
  return Math.hypot((b[0] - a[0]) * 111320, (b[1] - a[1]) * 111320 * kx);
}

/** What the bus is doing, from the plan, the driver's own reports and the tablet's position. */
function currentStatus() {
  if (!state.connected) return { kind: "offline", text: t("status_offline") };
  const next = nextStop(state.plan);
  if (state.onBreak) {
    return { kind: "break", text: next && next.kind === "break" ? t("status_break", { time: hhmm(next.departure || next.window_end) }) : t("status_break_open") };
  }
  if (!next) return { kind: "idle", text: t("status_idle") };
  const here = state.arrivedAt === next.stop_id || (state.position && distanceM(state.position, [next.lat, next.lon]) <= AT_STOP_M);
  if (here && next.kind === "break") return { kind: "break", text: t("status_break", { time: hhmm(next.departure || next.window_end) }) };
  if (here) return { kind: "stop", text: t("status_at_stop", { place: stopPlace(next) }) };
  return { kind: "driving", text: t("status_driving", { place: stopPlace(next) }), detail: arrival(next) };
}

/** When the bus gets to a stop and, if it is there early, until when it waits (the stop
 * list shows when the stop itself begins). */
function arrival(stop) {
  const eta = Date.parse(stop.eta || stop.service_start);
  const start = Date.parse(stop.service_start || stop.eta);
  if (start - eta >= 2 * 60 * 1000) {
    return t("arrive_wait", { time: hhmm(stop.eta), start: hhmm(stop.service_start) });
  }
  return t("arrive_at", { time: hhmm(stop.eta || stop.service_start) });
}

function showStatus() {
  if (!state.vehicle) return;
  const status = currentStatus();
  const node = $("status");
  const html = `<span class="what">${esc(status.text)}</span>${status.detail ? ` <span class="when">${esc(status.detail)}</span>` : ""}`;
  if (node.innerHTML !== html) node.innerHTML = html;
  node.className = `status ${status.kind}`;
}

// ---- map -----------------------------------------------------------------------------------
//
// Village names are placed like on the other pages' maps (rider_api/web/static/labels.js; the
// driver page is served by the driver API alone, so it has its own copy): in order of
// importance, at the first of eight spots around the place that overlaps no other label,
// no stop and no scale bar; a name that fits nowhere is left out.

const SPOTS = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]];
const LENGTHS_M = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
const RANK = { city: 0, town: 0, village: 1, suburb: 1, hamlet: 2, isolated_dwelling: 3 };

async function loadMap() {
  try {
    const cached = sessionStorage.getItem("rufbus.map.v2");
    const data = cached ? JSON.parse(cached) : await (await fetch(`${AREA_BASE}/v1/driver/map`)).json();
    if (!cached) sessionStorage.setItem("rufbus.map.v2", JSON.stringify(data));
    const places = [...data.places].sort((a, b) => (RANK[a.kind] ?? 2) - (RANK[b.kind] ?? 2) || (b.population || 0) - (a.population || 0));
    state.map = { ...data, places, lines: data.roads.map(decodePolyline) };
    drawMap();
  } catch (err) { /* the list works without a map */ }
}

function overlaps(a, b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }

function drawMap() {
  const canvas = $("map");
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (!width || !height) return;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#eef1e6"; ctx.fillRect(0, 0, width, height);
  if (!state.map) return;
  const route = [], stops = bookingStops(state.plan).slice(0, 8);
  for (const s of (state.plan ? state.plan.stops : [])) if (s.route_to) route.push(decodePolyline(s.route_to));
  const focus = route.flat();
  if (state.position) focus.push(state.position);
  let [s, w, n, e] = state.map.bounds;
  if (focus.length) {
    s = Math.min(...focus.map((p) => p[0])); n = Math.max(...focus.map((p) => p[0]));
    w = Math.min(...focus.map((p) => p[1])); e = Math.max(...focus.map((p) => p[1]));
    const pad = Math.max(n - s, (e - w) * 0.64, 0.01) * 0.15;
    s -= pad; n += pad; w -= pad / 0.64; e += pad / 0.64;
  }
  const kx = Math.cos(((s + n) / 2) * Math.PI / 180);
  const scale = Math.min(width / ((e - w) * kx), height / (n - s));
  const ox = (width - (e - w) * kx * scale) / 2, oy = (height - (n - s) * scale) / 2;
  const xy = ([lat, lon]) => [ox + (lon - w) * kx * scale, oy + (n - lat) * scale];
  const line = (points, color, lineWidth) => {
    ctx.strokeStyle = color; ctx.lineWidth = lineWidth; ctx.beginPath();
    points.forEach((p, i) => { const [x, y] = xy(p); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
  };
  for (const road of state.map.lines) line(road, "#b9c0c4", 1.5);
  route.forEach((leg, i) => line(leg, i === 0 ? "#1565c0" : "#64b5f6", i === 0 ? 5 : 3));
  const taken = [];
  stops.forEach((stop, i) => {
    const [x, y] = xy([stop.lat, stop.lon]);
    ctx.fillStyle = stop.kind === "pickup" ? "#2e7d32" : "#1565c0";
    ctx.beginPath(); ctx.arc(x, y, 11, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = "#fff"; ctx.font = "bold 13px system-ui"; ctx.textAlign = "center"; ctx.fillText(String(i + 1), x, y + 5);
    taken.push({ x: x - 12, y: y - 12, w: 24, h: 24 });
  });
  if (state.position) {
    const [x, y] = xy(state.position);
    ctx.fillStyle = "#ff6f00"; ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI); ctx.fill();
    taken.push({ x: x - 9, y: y - 9, w: 18, h: 18 });
  }
  taken.push(drawScale(ctx, width, height, 111320 / scale));
  drawPlaceNames(ctx, xy, taken, width, height);
}

function drawScale(ctx, width, height, metresPerPx) {
  let best = LENGTHS_M[0];
  for (const m of LENGTHS_M) if (m / metresPerPx <= Math.min(120, width / 3)) best = m;
  const px = Math.round(best / metresPerPx), text = best >= 1000 ? `${best / 1000} km` : `${best} m`;
  const rtl = document.documentElement.dir === "rtl";
  const x = rtl ? width - px - 14 : 10, y = height - 12;
  ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(x - 4, y - 20, Math.max(px, 40) + 8, 26);
  ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
  ctx.beginPath(); ctx.moveTo(x, y - 6); ctx.lineTo(x, y); ctx.lineTo(x + px, y); ctx.lineTo(x + px, y - 6); ctx.stroke();
  ctx.fillStyle = "#000"; ctx.font = "600 12px system-ui"; ctx.textAlign = "left"; ctx.direction = "ltr";
  ctx.fillText(text, x, y - 8);
  return { x: x - 6, y: y - 22, w: Math.max(px, 40) + 12, h: 30 };
}

function drawPlaceNames(ctx, xy, taken, width, height) {
  ctx.textAlign = "left"; ctx.textBaseline = "top"; ctx.lineJoin = "round";
  for (const p of state.map.places) {
    const [px, py] = xy([p.lat, p.lon]);
    if (px < 0 || py < 0 || px > width || py > height) continue;
    const big = (RANK[p.kind] ?? 2) <= 1;
    ctx.font = big ? "600 13px system-ui" : "12px system-ui";
    const w = Math.ceil(ctx.measureText(p.name).width) + 4, h = big ? 17 : 16;
    for (const [dx, dy] of SPOTS) {
      const x = dx > 0 ? px + 4 : dx < 0 ? px - 4 - w : px - w / 2;
      const y = dy > 0 ? py + 4 : dy < 0 ? py - 4 - h : py - h / 2;
      const box = { x, y, w, h };
      if (x < 0 || y < 0 || x + w > width || y + h > height || taken.some((o) => overlaps(o, box))) continue;
      taken.push(box);
      ctx.fillStyle = "#4a565d"; ctx.beginPath(); ctx.arc(px, py, big ? 2.5 : 1.5, 0, 2 * Math.PI); ctx.fill();
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 3; ctx.strokeText(p.name, x + 2, y + 2);
      ctx.fillStyle = "#1c2226"; ctx.fillText(p.name, x + 2, y + 2);
      break;
    }
  }
  ctx.textBaseline = "alphabetic";
}

// ---- shift and breaks (REST) -------------------------------------------------------------------

async function shiftCall(path, method = "POST") {
  let response, body;
  try {
    response = await fetch(`${AREA_BASE}/v1/vehicles/${encodeURIComponent(state.vehicle)}/${path}`, {
      method, headers: { Authorization: `Bearer ${state.token}` },
    });
    body = await response.json();
  } catch { return; }
  if (!response.ok) { notice(body.detail || t("refused"), true); return; }
  state.onBreak = Boolean(body.on_break_since);
  state.shiftStatus = body.status;
  $("shift-status").textContent = t(`shift_${body.status}`);
  $("break-toggle").textContent = t(state.onBreak ? "break_end" : "break_start");
  $("shift-start").hidden = body.status !== "planned";
  $("shift-end").hidden = body.status !== "active";
  showStatus();
}
function refreshShift() { shiftCall("shift", "GET"); }

// ---- position from the tablet's GPS ---------------------------------------------------------------

function watchPosition() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition((pos) => {
    state.position = [pos.coords.latitude, pos.coords.longitude];
    showStatus();
    if (Date.now() - state.lastPositionSent < 5000) return;
    state.lastPositionSent = Date.now();
    send({ type: "position", lat: pos.coords.latitude, lon: pos.coords.longitude, at: serviceNow().toISOString() });
    drawMap();
  }, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
}

// ---- start --------------------------------------------------------------------------------------

setupLanguage();
syncClock();
setInterval(syncClock, 60000);
setInterval(showClock, 1000);
new ResizeObserver(() => drawMap()).observe($("map"));
$("login-form").onsubmit = (event) => {
  event.preventDefault();
  login($("vehicle").value.trim(), $("token").value.trim());
};
$("logout").onclick = logout;
$("shift-start").onclick = () => shiftCall("shift/start");
$("shift-end").onclick = () => shiftCall("shift/end");
$("break-toggle").onclick = () => shiftCall(state.onBreak ? "break/end" : "break/start");

const fromHash = new URLSearchParams(location.hash.slice(1));
const savedLogin = JSON.parse(localStorage.getItem("rufbus.driver") || "null");
if (fromHash.get("vehicle") && fromHash.get("token")) {
  history.replaceState(null, "", location.pathname + location.search);
  login(fromHash.get("vehicle"), fromHash.get("token"));
} else if (savedLogin) {
  login(savedLogin.vehicle, savedLogin.token);
}
watchPosition();
