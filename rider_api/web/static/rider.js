// The rider app: plan a trip, see offers in plain words, book, follow and cancel.
// Bookings made on this device (with their access tokens) are kept in localStorage.

import {
  $, ApiError, PlaceCombo, announce, api, day, el, explain, focusHeading, lang, localNow,
  newKey, placeName, setupLanguage, showNotice, t, time,
} from "./common.js";
import { RoadMap } from "./map.js";

const STORE = "rufbus_bookings";
const POLL_MS = 15000;

const saved = {
  all: () => JSON.parse(localStorage.getItem(STORE) || "[]"),
  get: (id) => saved.all().find((b) => b.booking_id === id),
  put(entry) {
    const rest = saved.all().filter((b) => b.booking_id !== entry.booking_id);
    localStorage.setItem(STORE, JSON.stringify([entry, ...rest].slice(0, 50)));
  },
  drop(id) { localStorage.setItem(STORE, JSON.stringify(saved.all().filter((b) => b.booking_id !== id))); },
};

let from;
let to;
let map;
let pollTimer;
let fittedFor = null;

function start() {
  setupLanguage();
  from = new PlaceCombo($("#from"), { onChange: () => showNotice($("#from-error"), "") });
  to = new PlaceCombo($("#to"), { onChange: () => showNotice($("#to-error"), "") });
  const soon = localNow(30);
  $("#date").value = soon.date;
  $("#time").value = soon.time;
  $("#rider-name").value = localStorage.getItem("rufbus_name") || "";
  $("#rider-phone").value = localStorage.getItem("rufbus_phone") || "";
  document.querySelectorAll('input[name="when"]').forEach((r) => r.addEventListener("change", whenChanged));
  $("#my-location").addEventListener("click", myLocation);
  $("#trip-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  window.addEventListener("hashchange", route);
  route();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
}

function whenChanged() {
  $("#when-fields").hidden = document.querySelector('input[name="when"]:checked').value === "now";
}

function myLocation() {
  if (!navigator.geolocation) { showNotice($("#from-error"), t("location_failed")); return; }
  announce(t("locating"));
  navigator.geolocation.getCurrentPosition(
    (p) => { from.set({ name: t("my_location_name"), lat: p.coords.latitude, lon: p.coords.longitude }); announce(t("my_location_name")); },
    () => showNotice($("#from-error"), t("location_failed")),
    { enableHighAccuracy: true, timeout: 10000 },
  );
}

// ---- views ------------------------------------------------------------------------------

function route() {
  clearTimeout(pollTimer);
  const hash = location.hash.slice(1);
  const [view, id] = hash.split("/");
  const show = (name) => {
    for (const v of ["trip", "bookings", "booking"]) $(`#view-${v}`).hidden = v !== name;
    for (const link of ["#nav-trip", "#nav-bookings"]) $(link).removeAttribute("aria-current");
    $(name === "trip" ? "#nav-trip" : "#nav-bookings").setAttribute("aria-current", "page");
  };
  if (view === "booking" && id) { show("booking"); showBooking(decodeURIComponent(id)); }
  else if (view === "bookings") { show("bookings"); listBookings(); }
  else show("trip");
}

// ---- quotes and offers ------------------------------------------------------------------

function tripRequest() {
  const body = { origin: from.location(), destination: to.location() };
  const when = document.querySelector('input[name="when"]:checked').value;
  if (when !== "now") body[when] = `${$("#date").value}T${$("#time").value}:00`;
  body.passengers = Math.max(1, parseInt($("#passengers").value, 10) || 1);
  body.wheelchairs = $("#wheelchair").checked ? 1 : 0;
  return body;
}

function checkPlaces() {
  let ok = true;
  for (const [combo, error, key] of [[from, "#from-error", "choose_from"], [to, "#to-error", "choose_to"]]) {
    if (!combo.value) {
      combo.input.setAttribute("aria-invalid", "true");
      showNotice($(error), t(key));
      if (ok) combo.input.focus();
      ok = false;
    }
  }
  return ok;
}

async function search(override) {
  showNotice($("#trip-error"), "");
  if (!checkPlaces()) return;
  const body = { ...tripRequest(), ...override };
  const button = $("#search");
  button.disabled = true;
  announce(t("searching"));
  try {
    showOffers(await api("/v1/quotes", { method: "POST", body }), body);
  } catch (error) {
    showNotice($("#trip-error"), explain(error));
    $("#offers-section").hidden = true;
  } finally {
    button.disabled = false;
  }
}

function offerSentence(offer) {
  return t("offer_sentence", {
    day: day(offer.pickup.window_start),
    start: time(offer.pickup.window_start), end: time(offer.pickup.window_end),
    pickup: placeName(offer.pickup.name), arrive: time(offer.dropoff.latest_arrival), dropoff: placeName(offer.dropoff.name),
  });
}

function showOffers(quote, request) {
  const list = $("#offers");
  $("#offers-section").hidden = false;
  if (!quote.offers.length) {
    const alternatives = (quote.alternatives || []).filter(Boolean);
    list.replaceChildren(el("li", {},
      el("p", { class: "sentence", text: t("no_offers") }),
      alternatives.length ? el("p", { text: t("alternatives") }) : null,
      el("div", { class: "actions" }, alternatives.map((iso) => el("button", {
        type: "button", class: "secondary",
        onclick: () => useAlternative(iso, request),
      }, time(iso))))));
  } else {
    list.replaceChildren(...quote.offers.map((offer, i) => el("li", { "aria-labelledby": `offer-${i}` },
      el("p", { class: "sentence", id: `offer-${i}`, text: offerSentence(offer) }),
      el("p", { class: "hint", text: t("offer_expires", { time: time(offer.expires_at) }) }),
      el("button", { type: "button", "aria-describedby": `offer-${i}`, onclick: (e) => book(offer, e.currentTarget) }, t("book")))));
  }
  focusHeading($("#offers-title"));
  announce(quote.offers.length ? offerSentence(quote.offers[0]) : t("no_offers"));
}

function useAlternative(iso, request) {
  const kind = request.arrive_by ? "arrive_by" : "depart_after";
  document.querySelector(`input[name="when"][value="${kind}"]`).checked = true;
  whenChanged();
  const local = localNow((new Date(iso) - Date.now()) / 60000);
  $("#date").value = local.date;
  $("#time").value = local.time;
  search();
}

// ---- booking ----------------------------------------------------------------------------

async function book(offer, button) {
  const name = $("#rider-name").value.trim();
  const phone = $("#rider-phone").value.trim();
  if (!name) {
    $("#rider-name").setAttribute("aria-invalid", "true");
    showNotice($("#name-error"), t("name_needed"));
    $("#rider-name").focus();
    return;
  }
  $("#rider-name").removeAttribute("aria-invalid");
  showNotice($("#name-error"), "");
  localStorage.setItem("rufbus_name", name);
  localStorage.setItem("rufbus_phone", phone);
  button.disabled = true;
  button.textContent = t("booking");
  const rider = { name, language: lang };
  if (phone) rider.phone = phone;
  try {
    const booked = await api("/v1/bookings", {
      method: "POST", body: { offer_id: offer.offer_id, rider }, headers: { "Idempotency-Key": newKey() },
    });
    remember(booked);
    announce(t("booked"));
    location.hash = `#booking/${encodeURIComponent(booked.booking_id)}`;
  } catch (error) {
    button.disabled = false;
    button.textContent = t("book");
    if (error instanceof ApiError && error.status === 409 && error.problem.fresh) {
      showNotice($("#trip-error"), t("offer_gone"), "warn");
      showOffers(error.problem.fresh, tripRequest());
    } else {
      showNotice($("#name-error"), explain(error));
    }
  }
}

function remember(b, token) {
  saved.put({
    booking_id: b.booking_id,
    access_token: token || b.access_token || saved.get(b.booking_id)?.access_token,
    status: b.status,
    pickup: b.pickup,
    dropoff: b.dropoff,
  });
}

function listBookings() {
  const all = saved.all();
  const list = $("#booking-list");
  if (!all.length) {
    list.replaceChildren(el("li", {}, el("p", { text: t("no_bookings") }),
      el("a", { class: "button", href: "#trip" }, t("new_trip"))));
    return;
  }
  list.replaceChildren(...all.map((b) => el("li", {},
    el("p", { class: "sentence" }, summary(b)),
    el("p", {}, el("span", { class: `status ${b.status}`, text: t(`status_${b.status}`) })),
    el("div", { class: "actions" },
      el("a", { class: "button", href: `#booking/${encodeURIComponent(b.booking_id)}`, "aria-label": `${t("show")}: ${summary(b)}` }, t("show")),
      el("button", { type: "button", class: "secondary", "aria-label": `${t("forget")}: ${summary(b)}`, onclick: () => { saved.drop(b.booking_id); listBookings(); announce(t("forgotten")); } }, t("forget"))))));
}

function summary(b) {
  return t("booking_summary", {
    day: day(b.pickup.window_start), start: time(b.pickup.window_start), end: time(b.pickup.window_end),
    pickup: placeName(b.pickup.name), dropoff: placeName(b.dropoff.name),
  });
}

async function showBooking(id, { quiet = false } = {}) {
  const entry = saved.get(id);
  const notice = $("#booking-notice");
  if (!entry) { showNotice(notice, t("err_notfound")); $("#booking-details").replaceChildren(); return; }
  if (!quiet) focusHeading($("#booking-title"));
  let b;
  try {
    b = await api(`/v1/bookings/${encodeURIComponent(id)}`, { token: entry.access_token });
  } catch (error) {
    showNotice(notice, explain(error));
    pollTimer = setTimeout(() => showBooking(id, { quiet: true }), POLL_MS);
    return;
  }
  if (location.hash !== `#booking/${encodeURIComponent(id)}`) return;
  if (!b.vehicle && ["confirmed", "on_board"].includes(b.status)) {
    try {
      b.vehicle = (await api(`/v1/bookings/${encodeURIComponent(id)}/vehicle`, { token: entry.access_token, retries: 0 })).vehicle;
    } catch { /* the map then shows only the stops */ }
  }
  remember(b, entry.access_token);
  renderBooking(b, entry);
  if (["confirmed", "on_board"].includes(b.status)) pollTimer = setTimeout(() => showBooking(id, { quiet: true }), POLL_MS);
}

function renderBooking(b, entry) {
  const open = ["confirmed", "on_board"].includes(b.status);
  const facts = el("dl", { class: "facts" },
    el("dt", { text: t("col_status") }), el("dd", {}, el("span", { class: `status ${b.status}`, text: t(`status_${b.status}`) })),
    el("dt", { text: t("from") }), el("dd", { text: `${placeName(b.pickup.name)} – ${t("pickup_between", { day: day(b.pickup.window_start), start: time(b.pickup.window_start), end: time(b.pickup.window_end) })}` }),
    el("dt", { text: t("to") }), el("dd", { text: `${placeName(b.dropoff.name)} – ${t("arrive_by", { time: time(b.dropoff.latest_arrival) })}` }),
    open && b.pickup_eta ? [el("dt", { text: t("eta_label") }), el("dd", { id: "eta", text: t("eta", { time: time(b.pickup_eta) }) })] : null,
    b.vehicle ? [el("dt", { text: t("bus") }), el("dd", { text: t("bus_on_way") })] : null,
    el("dt", { text: t("updated_label") }), el("dd", { text: time(new Date().toISOString()) }));
  $("#booking-details").replaceChildren(facts);
  showNotice($("#booking-notice"), "");
  if (!map) map = new RoadMap($("#booking-map"), { label: t("map_label") });
  const markers = [
    { lat: b.pickup.lat, lon: b.pickup.lon, kind: "pickup", label: t("kind_pickup") },
    { lat: b.dropoff.lat, lon: b.dropoff.lon, kind: "dropoff", label: t("kind_dropoff") },
  ];
  if (b.vehicle) markers.push({ lat: b.vehicle.lat, lon: b.vehicle.lon, kind: "vehicle", label: t("bus") });
  map.set({ markers, describe: `${t("kind_pickup")} ${placeName(b.pickup.name)}, ${t("kind_dropoff")} ${placeName(b.dropoff.name)}${b.vehicle ? `, ${t("bus_on_way")}` : ""}` });
  if (fittedFor !== b.booking_id || b.vehicle) { map.fit(); fittedFor = b.booking_id; }
  const actions = $("#booking-actions");
  actions.replaceChildren(
    open && b.status === "confirmed" ? el("button", { type: "button", class: "danger", id: "cancel", onclick: () => askCancel(b, entry) }, t("cancel")) : null,
    el("a", { class: "button secondary", href: "#bookings" }, t("nav_bookings")),
    el("a", { class: "button secondary", href: "#trip" }, t("new_trip")));
}

function askCancel(b, entry) {
  const actions = $("#booking-actions");
  const no = el("button", { type: "button", class: "secondary", onclick: () => renderBooking(b, entry) }, t("cancel_no"));
  actions.replaceChildren(
    el("p", { id: "cancel-question", class: "sentence", text: t("cancel_confirm") }),
    el("button", { type: "button", class: "danger", id: "cancel-yes", "aria-describedby": "cancel-question", onclick: () => cancel(b, entry) }, t("cancel_yes")),
    no);
  $("#cancel-yes").focus();
}

async function cancel(b, entry) {
  try {
    const done = await api(`/v1/bookings/${encodeURIComponent(b.booking_id)}/cancel`, { method: "POST", token: entry.access_token });
    remember(done, entry.access_token);
    renderBooking(done, entry);
    showNotice($("#booking-notice"), t("cancelled"), "ok");
    focusHeading($("#booking-title"));
    announce(t("cancelled"));
  } catch (error) {
    showNotice($("#booking-notice"), explain(error));
    renderBooking(b, entry);
  }
}

start();
