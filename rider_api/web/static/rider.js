// The rider app: plan a trip, see offers in plain words, book, follow and cancel.
// Bookings made on this device (with their access tokens) are kept in localStorage.

import {
  $, AREA_BASE, ApiError, PlaceCombo, announce, api, day, el, explain, focusHeading, lang, loadStops, localNow,
  localParts, newKey, placeName, placeVars, serviceNow, setupLanguage, showNotice, startClock, t, time,
} from "./common.js";
import { RoadMap } from "./map.js";

// Per service area: a trip booked in one area's app is followed there (its API knows it).
const STORE = `rufbus_bookings${AREA_BASE}`;
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
/** The booking whose "really cancel?" question is open: a refresh must not take it away. */
let confirming = null;
/** Bumped by every navigation and cancellation: an answer for an older view is dropped. */
let generation = 0;

function start() {
  setupLanguage();
  from = new PlaceCombo($("#from"), { onChange: () => showNotice($("#from-error"), "") });
  to = new PlaceCombo($("#to"), { onChange: () => showNotice($("#to-error"), "") });
  prefillTimes();
  for (const field of ["#date", "#time"]) $(field).addEventListener("input", () => { $(field).dataset.touched = "1"; });
  Promise.all([startClock(), loadStops()]).then(prefillTimes);
  $("#rider-name").value = localStorage.getItem("rufbus_name") || "";
  $("#rider-phone").value = localStorage.getItem("rufbus_phone") || "";
  document.querySelectorAll('input[name="when"]').forEach((r) => r.addEventListener("change", whenChanged));
  $("#my-location").addEventListener("click", myLocation);
  $("#trip-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  window.addEventListener("hashchange", route);
  route();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
}

/** Half an hour from now on the service's clock, unless the rider typed a time already. */
function prefillTimes() {
  if ($("#date").dataset.touched || $("#time").dataset.touched) return;
  const soon = localNow(30);
  $("#date").value = soon.date;
  $("#time").value = soon.time;
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
  generation += 1;
  confirming = null;
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

/** The rider's own words for an address they chose ("Kirchplatz 1"); else the service's place. */
function spoken(place, chosen) {
  return chosen && chosen.placeType === "address" ? chosen : place;
}

function chosenPlaces() {
  return { pickup: from.value, dropoff: to.value };
}

function offerSentence(offer, chosen = chosenPlaces()) {
  return t("offer_sentence", {
    day: day(offer.pickup.window_start),
    start: time(offer.pickup.window_start), end: time(offer.pickup.window_end), arrive: time(offer.dropoff.latest_arrival),
    ...placeVars("pickup", spoken(offer.pickup, chosen.pickup)),
    ...placeVars("dropoff", spoken(offer.dropoff, chosen.dropoff)),
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
  const local = localParts(iso);
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
    remember(booked, null, chosenPlaces());
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

/** Keep the booking on this device, with the rider's own names of addresses they chose. */
function remember(b, token, chosen) {
  const before = saved.get(b.booking_id);
  const own = (place) => (place && place.placeType === "address" ? { placeType: "address", name: place.name } : null);
  saved.put({
    booking_id: b.booking_id,
    access_token: token || b.access_token || before?.access_token,
    status: b.status,
    pickup: b.pickup,
    dropoff: b.dropoff,
    chosen: chosen ? { pickup: own(chosen.pickup), dropoff: own(chosen.dropoff) } : before?.chosen || {},
  });
}

function placesOf(b, entry) {
  const chosen = entry?.chosen || {};
  return { pickup: spoken(b.pickup, chosen.pickup), dropoff: spoken(b.dropoff, chosen.dropoff) };
}

function listBookings() {
  const all = saved.all();
  const list = $("#booking-list");
  if (!all.length) {
    list.replaceChildren(el("li", {}, el("p", { text: t("no_bookings") }),
      el("a", { class: "button", href: "#trip" }, t("new_trip"))));
    return;
  }
  list.replaceChildren(...all.map((b) => el("li", { "data-booking": b.booking_id },
    el("p", { class: "sentence" }, summary(b)),
    el("p", {}, el("span", { class: `status ${b.status}`, text: t(`status_${b.status}`) })),
    el("div", { class: "actions" },
      el("a", { class: "button", href: `#booking/${encodeURIComponent(b.booking_id)}`, "aria-label": `${t("show")}: ${summary(b)}` }, t("show")),
      el("button", { type: "button", class: "secondary", "aria-label": `${t("forget")}: ${summary(b)}`, onclick: () => { saved.drop(b.booking_id); listBookings(); announce(t("forgotten")); } }, t("forget"))))));
}

function summary(b) {
  const places = placesOf(b, b);
  return t("booking_summary", {
    day: day(b.pickup.window_start), start: time(b.pickup.window_start), end: time(b.pickup.window_end),
    ...placeVars("pickup", places.pickup), ...placeVars("dropoff", places.dropoff),
  });
}

async function showBooking(id, { quiet = false } = {}) {
  const mine = ++generation;
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
  if (mine !== generation || location.hash !== `#booking/${encodeURIComponent(id)}`) return;
  if (["confirmed", "on_board"].includes(b.status)) {
    try {
      b.vehicle = (await api(`/v1/bookings/${encodeURIComponent(id)}/vehicle`, { token: entry.access_token, retries: 0 })).vehicle;
    } catch { /* the map then shows only the stops */ }
    if (mine !== generation) return;
  }
  remember(b, entry.access_token);
  showNotice(notice, "");
  renderBooking(b, entry);
  if (["confirmed", "on_board"].includes(b.status)) pollTimer = setTimeout(() => showBooking(id, { quiet: true }), POLL_MS);
}

function renderBooking(b, entry) {
  const open = ["confirmed", "on_board"].includes(b.status);
  const places = placesOf(b, entry);
  const onItsWay = Boolean(b.vehicle);
  const facts = el("dl", { class: "facts" },
    el("dt", { text: t("col_status") }), el("dd", {}, el("span", { class: `status ${b.status}`, text: t(`status_${b.status}`) })),
    el("dt", { text: t("from") }), el("dd", { text: `${placeName(places.pickup)} – ${t("pickup_between", { day: day(b.pickup.window_start), start: time(b.pickup.window_start), end: time(b.pickup.window_end) })}` }),
    el("dt", { text: t("to") }), el("dd", { text: `${placeName(places.dropoff)} – ${t("arrive_by", { time: time(b.dropoff.latest_arrival) })}` }),
    open && b.pickup_eta && b.status === "confirmed"
      ? [el("dt", { text: t("eta_label") }), el("dd", { id: "eta", text: t("eta", { time: time(b.pickup_eta) }) })] : null,
    onItsWay && b.status === "confirmed" ? [el("dt", { text: t("bus") }), el("dd", { id: "on-its-way", text: t("bus_on_way") })] : null,
    el("dt", { text: t("updated_label") }), el("dd", { text: time(serviceNow().toISOString()) }));
  $("#booking-details").replaceChildren(facts);
  drawBookingMap(b, places, onItsWay);
  if (confirming === b.booking_id && open) return; // the "really cancel?" question stays
  confirming = null;
  const actions = $("#booking-actions");
  actions.replaceChildren(...[
    b.status === "confirmed" ? el("button", { type: "button", class: "danger", id: "cancel", onclick: () => askCancel(b, entry) }, t("cancel")) : null,
    el("a", { class: "button secondary", href: "#bookings" }, t("nav_bookings")),
    el("a", { class: "button secondary", href: "#trip" }, t("new_trip")),
  ].filter(Boolean)); // replaceChildren would write a null as the text "null"
}

function drawBookingMap(b, places, onItsWay) {
  if (!map) map = new RoadMap($("#booking-map"), { label: t("map_label") });
  const markers = [
    { lat: b.pickup.lat, lon: b.pickup.lon, kind: "pickup", label: t("kind_pickup") },
    { lat: b.dropoff.lat, lon: b.dropoff.lon, kind: "dropoff", label: t("kind_dropoff") },
  ];
  if (onItsWay) markers.push({ lat: b.vehicle.lat, lon: b.vehicle.lon, kind: "vehicle", label: t("bus") });
  const describe = `${t("kind_pickup")} ${placeName(places.pickup)}, ${t("kind_dropoff")} ${placeName(places.dropoff)}${onItsWay ? `, ${t("bus_on_way")}` : ""}`;
  map.set({ markers, describe });
  if (fittedFor !== b.booking_id || onItsWay) { map.fit(); fittedFor = b.booking_id; }
}

function askCancel(b, entry) {
  confirming = b.booking_id;
  const no = el("button", { type: "button", class: "secondary", id: "cancel-no", onclick: () => { confirming = null; renderBooking(b, entry); $("#cancel").focus(); } }, t("cancel_no"));
  $("#booking-actions").replaceChildren(
    el("p", { id: "cancel-question", class: "sentence", text: t("cancel_confirm") }),
    el("button", { type: "button", class: "danger", id: "cancel-yes", "aria-describedby": "cancel-question", onclick: () => cancel(b, entry) }, t("cancel_yes")),
    no);
  $("#cancel-yes").focus();
}

async function cancel(b, entry) {
  clearTimeout(pollTimer);
  generation += 1;
  confirming = null;
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
    pollTimer = setTimeout(() => showBooking(b.booking_id, { quiet: true }), POLL_MS);
  }
}

start();
