// The driver's page: live plan over a websocket, big buttons for stop events,
// an offline map drawn from the service's own road data. No libraries, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  vehicle: null, token: null, ws: null, plan: null, shiftId: null,
  outbox: new Map(), // id -> message, resent after a reconnect until answered
  retry: 0, map: null, position: null, lastPositionSent: 0, onBreak: false,
};

// ---- helpers -------------------------------------------------------------------------

function newId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
function hhmm(iso) { return iso ? iso.slice(11, 16) : "–"; }
function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
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

// ---- login and connection -------------------------------------------------------------

function login(vehicle, token) {
  state.vehicle = vehicle; state.token = token;
  localStorage.setItem("rufbus.driver", JSON.stringify({ vehicle, token }));
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("title").textContent = vehicle;
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
  const ws = new WebSocket(`${proto}://${location.host}/v1/vehicles/${encodeURIComponent(state.vehicle)}/stream`);
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
    if (event.code === 1008) {
      $("login").classList.remove("hidden"); $("app").classList.add("hidden");
      $("login-error").textContent = "Wrong vehicle or device token.";
      localStorage.removeItem("rufbus.driver");
      return;
    }
    const wait = Math.min(30, 2 ** state.retry++);
    banner(`Connection lost – reconnecting in ${wait} s. Your last plan stays on screen.`);
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
      banner("Connected", true); setTimeout(() => banner(null), 1500);
      if (message.shift_id !== state.shiftId && state.plan && state.plan.shift_id !== message.shift_id) {
        state.plan = null; render(false);
      }
      state.shiftId = message.shift_id;
      $("clock").textContent = `server time ${hhmm(message.server_time)}`;
      for (const pending of state.outbox.values()) state.ws.send(JSON.stringify(pending));
      break;
    case "plan": {
      const changed = state.plan !== null && state.plan.version !== message.version;
      const before = state.plan;
      state.plan = message; state.shiftId = message.shift_id;
      localStorage.setItem(`rufbus.plan.${state.vehicle}`, JSON.stringify(message));
      render(changed, before);
      if (changed) notice(`The plan has changed (version ${message.version}). Please check the next stops.`);
      send({ type: "ack", version: message.version });
      break;
    }
    case "ping":
      $("clock").textContent = `server time ${hhmm(message.at)}`;
      break;
    case "ok":
      state.outbox.delete(message.id);
      if (message.detail && message.detail.startsWith("booking")) notice(message.detail, false, 3000);
      break;
    case "error":
      state.outbox.delete(message.id);
      notice(message.detail, true);
      break;
  }
}

// ---- plan --------------------------------------------------------------------------------

function bookingStops(plan) { return plan ? plan.stops.filter((s) => s.booking_id) : []; }

function render(changed, before = null) {
  const plan = state.plan;
  $("version").textContent = plan ? `version ${plan.version}` : "";
  const oldIds = new Set(before ? before.stops.map((s) => `${s.stop_id}@${s.eta}`) : []);
  $("stops").innerHTML = (plan ? plan.stops : []).map((s) => {
    const fresh = changed && !oldIds.has(`${s.stop_id}@${s.eta}`);
    const who = s.rider ? `${esc(s.rider.first_name)}${s.rider.notes ? ` – <em>${esc(s.rider.notes)}</em>` : ""}` : "";
    const window = s.kind === "pickup" ? `window ${hhmm(s.window_start)}–${hhmm(s.window_end)}`
      : s.kind === "dropoff" ? `by ${hhmm(s.window_end)}` : s.kind === "break" ? `until ${hhmm(s.window_end)}` : "";
    const count = s.passengers ? `${s.passengers} 👤${s.wheelchairs ? ` ${s.wheelchairs} ♿` : ""}` : "";
    return `<li class="${fresh ? "changed" : ""}"><span class="time">${hhmm(s.eta)}</span>
      <span><span class="tag ${s.kind}">${s.kind === "dropoff" ? "drop-off" : s.kind}</span>${esc(s.name)}
      <br><span class="muted">${window}</span> ${who}</span><span class="count">${count}</span></li>`;
  }).join("") || "<li><span></span><span class='muted'>No stops planned yet.</span></li>";
  renderNext();
  drawMap();
}

function renderNext() {
  const next = bookingStops(state.plan)[0];
  const el = $("next");
  if (!next) {
    el.innerHTML = "<div class='name'>No stop to serve</div><div class='muted'>New bookings appear here at once.</div>";
    return;
  }
  const pickup = next.kind === "pickup";
  const who = next.rider ? `${esc(next.rider.first_name)}${next.rider.notes ? ` – ${esc(next.rider.notes)}` : ""}` : "";
  el.innerHTML = `
    <div class="kind">${pickup ? "Pickup" : "Drop-off"} · ${next.passengers} passenger${next.passengers === 1 ? "" : "s"}${next.wheelchairs ? ` · ${next.wheelchairs} wheelchair ♿` : ""}</div>
    <div class="name">${esc(next.name)}</div>
    <div class="times">arrive ${hhmm(next.eta)}${pickup ? ` · window ${hhmm(next.window_start)}–${hhmm(next.window_end)}` : ` · by ${hhmm(next.window_end)}`}</div>
    <div class="who">${who}</div>
    <div class="buttons">
      <button class="big" data-event="arrived">Arrived</button>
      ${pickup ? '<button class="big go" data-event="boarded">Boarded</button>' : '<button class="big go" data-event="alighted">Dropped off</button>'}
      ${pickup ? '<button class="big warn" data-event="no_show">No-show</button>' : ""}
    </div>`;
  for (const button of el.querySelectorAll("button[data-event]")) {
    button.onclick = () => {
      if (button.dataset.event === "no_show" && !confirm("Report this rider as a no-show?")) return;
      send({ type: "stop_event", stop_id: next.stop_id, event: button.dataset.event, at: new Date().toISOString() });
      button.disabled = true;
    };
  }
}

// ---- map -----------------------------------------------------------------------------------

async function loadMap() {
  try {
    const cached = sessionStorage.getItem("rufbus.map");
    const data = cached ? JSON.parse(cached) : await (await fetch("/v1/driver/map")).json();
    if (!cached) sessionStorage.setItem("rufbus.map", JSON.stringify(data));
    state.map = { ...data, lines: data.roads.map(decodePolyline) };
    drawMap();
  } catch (err) { /* the list works without a map */ }
}

function drawMap() {
  const canvas = $("map"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
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
  const scale = Math.min(canvas.width / ((e - w) * kx), canvas.height / (n - s));
  const xy = ([lat, lon]) => [(lon - w) * kx * scale, (n - lat) * scale];
  const line = (points, color, width) => {
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
    points.forEach((p, i) => { const [x, y] = xy(p); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
  };
  for (const road of state.map.lines) line(road, "#b9c0c4", 1.5);
  ctx.fillStyle = "#5d6a72"; ctx.font = "12px system-ui";
  for (const p of state.map.places) { const [x, y] = xy([p.lat, p.lon]); ctx.fillText(p.name, x + 3, y - 3); }
  route.forEach((leg, i) => line(leg, i === 0 ? "#1565c0" : "#64b5f6", i === 0 ? 5 : 3));
  stops.forEach((stop, i) => {
    const [x, y] = xy([stop.lat, stop.lon]);
    ctx.fillStyle = stop.kind === "pickup" ? "#2e7d32" : "#1565c0";
    ctx.beginPath(); ctx.arc(x, y, 11, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = "#fff"; ctx.font = "bold 13px system-ui"; ctx.fillText(String(i + 1), x - 4, y + 5);
  });
  if (state.position) {
    const [x, y] = xy(state.position);
    ctx.fillStyle = "#ff6f00"; ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI); ctx.fill();
  }
}

// ---- shift and breaks (REST) -------------------------------------------------------------------

async function shiftCall(path, method = "POST") {
  const response = await fetch(`/v1/vehicles/${encodeURIComponent(state.vehicle)}/${path}`, {
    method, headers: { Authorization: `Bearer ${state.token}` },
  });
  const body = await response.json();
  if (!response.ok) { notice(body.detail || "refused", true); return; }
  state.onBreak = Boolean(body.on_break_since);
  $("shift-status").textContent = state.onBreak ? "on break" : body.status;
  $("break-toggle").textContent = state.onBreak ? "End break" : "Break";
}
function refreshShift() { shiftCall("shift", "GET"); }

// ---- position from the tablet's GPS ---------------------------------------------------------------

function watchPosition() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition((pos) => {
    state.position = [pos.coords.latitude, pos.coords.longitude];
    if (Date.now() - state.lastPositionSent < 5000) return;
    state.lastPositionSent = Date.now();
    send({ type: "position", lat: pos.coords.latitude, lon: pos.coords.longitude, at: new Date(pos.timestamp).toISOString() });
    drawMap();
  }, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
}

// ---- start --------------------------------------------------------------------------------------

$("login-form").onsubmit = (event) => {
  event.preventDefault();
  login($("vehicle").value.trim(), $("token").value.trim());
};
$("logout").onclick = logout;
$("shift-start").onclick = () => shiftCall("shift/start");
$("shift-end").onclick = () => shiftCall("shift/end");
$("break-toggle").onclick = () => shiftCall(state.onBreak ? "break/end" : "break/start");

const fromHash = new URLSearchParams(location.hash.slice(1));
const saved = JSON.parse(localStorage.getItem("rufbus.driver") || "null");
if (fromHash.get("vehicle") && fromHash.get("token")) {
  history.replaceState(null, "", location.pathname);
  login(fromHash.get("vehicle"), fromHash.get("token"));
} else if (saved) {
  login(saved.vehicle, saved.token);
}
watchPosition();
