// The dispatcher view: the fleet on the road map, late vehicles, vehicles that stopped
// reporting, today's bookings and the latest re-optimisations. Refreshed every 5 s.

import { $, announce, api, decimal, el, explain, loadStops, localNow, placeName, setupAreaChoice, setupLanguage, showNotice, staffToken, startClock, t, time } from "./common.js";
import { RoadMap, polylinePoints } from "./map.js";

const REFRESH_MS = 5000;
let map;
let timer;
let fitted = false;

function start() {
  setupLanguage();
  setupAreaChoice();
  $("#sign-in-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("#token").value.trim()); });
  $("#sign-out").addEventListener("click", () => { staffToken.clear(); location.reload(); });
  $("#day").value = localNow().date;
  loadStops();
  startClock().then(() => { if (!$("#day").dataset.touched) $("#day").value = localNow().date; });
  $("#day").addEventListener("input", () => { $("#day").dataset.touched = "1"; });
  $("#day").addEventListener("change", () => { fitted = false; refresh(); });
  if (staffToken.get()) signIn(staffToken.get(), { quiet: true });
}

async function signIn(token, { quiet = false } = {}) {
  let fleet;
  try {
    fleet = await api("/v1/ops/fleet", { token });
  } catch (error) {
    showNotice($("#sign-in-error"), explain(error, { staff: true }));
    staffToken.clear();
    return;
  }
  staffToken.set(token);
  $("#token").value = "";
  $("#sign-in").hidden = true;
  $("#board").hidden = false;
  $("#sign-out").hidden = false;
  map = new RoadMap($("#fleet-map"), { label: t("map_title") });
  render(fleet);
  if (!quiet) announce(t("signed_in"));
  focusTitle();
  timer = setTimeout(refresh, REFRESH_MS);
}

function focusTitle() {
  const title = $("#map-title");
  title.setAttribute("tabindex", "-1");
  title.focus();
}

function fleetPath() {
  const day = $("#day").value;
  return day && day !== localNow().date ? `/v1/ops/fleet?day=${encodeURIComponent(day)}` : "/v1/ops/fleet";
}

async function refresh() {
  clearTimeout(timer);
  try {
    render(await api(fleetPath(), { token: staffToken.get(), retries: 1 }));
  } catch (error) {
    $("#updated").textContent = explain(error, { staff: true });
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

// A bus that has not reported since its shift began has no "last report" to name.
function lostText(v) {
  return v.position.reported ? t("state_lost", { time: time(v.position.at) }) : t("state_never");
}

function positionText(v) {
  const where = `(${v.position.lat.toFixed(4)}, ${v.position.lon.toFixed(4)})`;
  return v.position.reported ? `${time(v.position.at)} ${where}` : `${t("position_start")} ${where}`;
}

function stateOf(v) {
  if (!v.in_service) return { kind: "off", text: t("state_off") };
  if (v.lost_contact) return { kind: "lost", text: lostText(v) };
  if (v.late) return { kind: "late", text: t("state_late", { min: Math.max(1, Math.round(v.late_s / 60)) }) };
  return { kind: "vehicle", text: t("state_ok") };
}

function render(fleet) {
  $("#updated").textContent = t("updated", { time: time(fleet.now) });
  const shown = fleet.vehicles;
  const markers = [];
  const lines = [];
  for (const v of shown) {
    const state = stateOf(v);
    for (const s of v.next_stops) markers.push({ lat: s.lat, lon: s.lon, kind: s.kind });
    if (v.route) lines.push({ points: polylinePoints(v.route), kind: state.kind === "late" ? "late" : "vehicle" });
    markers.push({ lat: v.position.lat, lon: v.position.lon, kind: state.kind === "off" ? "lost" : state.kind, label: v.name, short: v.name.replace(/\s*\(.*\)\s*$/, "") });
  }
  const late = shown.filter((v) => v.in_service && v.late).length;
  map.set({ markers, lines, describe: t("map_summary", { n: shown.length, late, lost: shown.filter((v) => v.lost_contact).length }) });
  if (!fitted && markers.length) { map.fit(); fitted = true; }
  renderFleet(shown);
  renderLost(shown.filter((v) => v.lost_contact));
  renderReopt(fleet.reoptimisations);
  renderToday(fleet.bookings, Object.fromEntries(shown.map((v) => [v.vehicle_id, v.name])));
  renderFairness();
}

/** Served share, wait and lateness by rider group for the day shown (wheelchair, phone, village). */
async function renderFairness() {
  const day = $("#day").value;
  let data;
  try { data = await api(`/v1/ops/fairness${day ? `?day=${encodeURIComponent(day)}` : ""}`, { token: staffToken.get(), retries: 0 }); } catch { return; }
  const pct = (v) => (v === null ? "–" : `${decimal(v * 100)} %`);
  const name = (r) => `${t(`open_kind_${r.group_kind}`)}: ${r.group_kind === "village" ? r.group : t(`open_group_${r.group.replace(/ /g, "_")}`)}`;
  $("#fairness").replaceChildren(...fairnessOption(data.fairness_option), data.groups.length ? table(["col_group", "open_requests", "open_served_share", "open_wait_median", "open_late_share", "open_rejected"],
    data.groups.map((r) => el("tr", {}, el("th", { scope: "row", text: name(r) }), el("td", { text: String(r.requests) }),
      el("td", { text: pct(r.served_share) }), el("td", { text: r.wait_median_min === null ? "–" : String(r.wait_median_min) }),
      el("td", { text: pct(r.late_share) }), el("td", { text: String(r.rejected) }))), t("open_fairness")) : el("p", { text: t("open_none") }));
}

/** The fairness option's state for the day: the bound, the current gap, whether it acts. */
function fairnessOption(option) {
  if (!option) return [];
  const points = (v) => (v === null ? "–" : decimal(v * 100));
  const key = option.trailing_by === null ? "fair_option_first" : option.asks_again ? "fair_option_asks" : "fair_option_within";
  return [el("p", { id: "fairness-option", text: t(key, { max: points(option.max_gap), gap: points(option.trailing_by), min: option.extra_wait_min }) })];
}

function table(headers, rows, caption) {
  return el("table", {},
    el("caption", { class: "visually-hidden", text: caption }),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: t(h) })))),
    el("tbody", {}, rows));
}

function renderFleet(vehicles) {
  if (!vehicles.length) { $("#fleet").replaceChildren(el("p", { text: t("fleet_none") })); return; }
  $("#fleet").replaceChildren(table(["col_vehicle", "col_state", "col_position", "col_next"], vehicles.map((v) => {
    const state = stateOf(v);
    return el("tr", { "data-vehicle": v.vehicle_id },
      el("th", { scope: "row", text: v.name }),
      el("td", {}, el("span", { class: state.kind === "late" ? "late-text" : state.kind === "lost" ? "lost-text" : "", text: state.text })),
      el("td", { class: "position", text: positionText(v) }),
      el("td", {}, v.next_stops.length
        ? el("ol", {}, v.next_stops.map((s) => el("li", { text: `${time(s.service_start || s.arrival)} ${t(`kind_${s.kind}`)} ${s.kind === "break" ? "" : placeName(s)}` })))
        : t("no_stops")));
  }), t("fleet_title")));
}

function renderLost(lost) {
  $("#lost").replaceChildren(lost.length
    ? el("ul", {}, lost.map((v) => el("li", { class: "lost-text", text: `${v.name}: ${lostText(v)}` })))
    : el("p", { text: t("lost_none") }));
}

function renderReopt(items) {
  $("#reopt").replaceChildren(items.length
    ? el("ul", {}, items.map((r) => el("li", { text: reoptRow(r) })))
    : el("p", { text: t("reopt_none") }));
}

/** An adopted re-optimisation in words: less driving, or (when driving grew) shorter rides. */
function reoptRow(r) {
  const key = r.drive_saved_s > 0 ? "reopt_less" : r.drive_saved_s < 0 ? "reopt_more" : "reopt_same";
  return t(key, { time: time(r.at), min: decimal(Math.abs(r.drive_saved_s) / 60), n: r.vehicles_changed });
}

function renderToday(bookings, names) {
  if (!bookings.length) { $("#today").replaceChildren(el("p", { text: t("bookings_empty") })); return; }
  $("#today").replaceChildren(table(["col_when", "col_from", "col_to", "col_status", "col_vehicle"], bookings.map((b) => el("tr", {},
    el("td", { text: `${time(b.pickup.window_start)}–${time(b.pickup.window_end)}` }),
    el("td", { text: placeName(b.pickup) }),
    el("td", { text: `${placeName(b.dropoff)} (${t("until")} ${time(b.dropoff.latest_arrival)})` }),
    el("td", {}, el("span", { class: `status ${b.status}`, text: t(`status_${b.status}`) })),
    el("td", { text: names[b.vehicle_id] || (b.vehicle_id || "–").split("@")[0] }))), t("bookings_today")));
}

start();
