// The hotline console: an agent with a caller on the line finds or registers the caller,
// books for them with their defaults filled in, reads the offer aloud (in the caller's
// language), sees and cancels their bookings, and manages standing orders.

import {
  $, ApiError, PlaceCombo, announce, api, day, el, explain, focusHeading, lang, loadStops, localDate,
  localNow, newKey, placeName, placeVars, setupAreaChoice, setupLanguage, showNotice, staffToken, startClock, t, time, words,
} from "./common.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let rider = null;
let riderWords = words;
let riderBookings = [];
const combos = {};

function start() {
  setupLanguage();
  setupAreaChoice();
  startClock();
  loadStops();
  $("#sign-in-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("#token").value.trim()); });
  $("#sign-out").addEventListener("click", signOut);
  $("#find-form").addEventListener("submit", (e) => { e.preventDefault(); findCaller(); });
  $("#create-form").addEventListener("submit", (e) => { e.preventDefault(); createRider(); });
  $("#book-form").addEventListener("submit", (e) => { e.preventDefault(); getOffers(); });
  $("#so-form").addEventListener("submit", (e) => { e.preventDefault(); createStandingOrder(); });
  for (const id of ["new-home", "book-from", "book-to", "so-from", "so-to"]) combos[id] = new PlaceCombo($(`#${id}`));
  $("#so-days").replaceChildren(...WEEKDAYS.map((d) => el("label", { class: "inline" },
    el("input", { type: "checkbox", name: "so-day", value: d, checked: !["sat", "sun"].includes(d) }), t(`day_${d}`))));
  document.addEventListener("keydown", shortcut);
  if (staffToken.get()) signIn(staffToken.get(), { quiet: true });
}

function shortcut(e) {
  if (!e.altKey || e.ctrlKey || e.metaKey) return;
  const targets = { 1: "#phone", 2: "#book-from", 3: "#rb-title", 4: "#so-time" };
  const target = targets[e.key];
  if (!target || $("#desk").hidden) return;
  const node = $(target);
  if (node.closest("[hidden]")) return;
  e.preventDefault();
  if (node.tagName === "H2") focusHeading(node); else node.focus();
}

// ---- signing in -------------------------------------------------------------------------

async function signIn(token, { quiet = false } = {}) {
  if (!token) { showNotice($("#sign-in-error"), t("err_auth")); return; }
  try {
    await api("/v1/ops/fleet", { token });
  } catch (error) {
    showNotice($("#sign-in-error"), explain(error, { staff: true }));
    staffToken.clear();
    return;
  }
  staffToken.set(token);
  $("#token").value = "";
  showNotice($("#sign-in-error"), "");
  $("#sign-in").hidden = true;
  $("#desk").hidden = false;
  $("#sign-out").hidden = false;
  if (!quiet) announce(t("signed_in"));
  $("#phone").focus();
}

function signOut() {
  staffToken.clear();
  location.reload();
}

function staff(path, options = {}) {
  return api(path, { ...options, token: staffToken.get() });
}

// ---- the caller -------------------------------------------------------------------------

async function findCaller() {
  const phone = $("#phone").value.trim();
  const notice = $("#caller-notice");
  showNotice(notice, "");
  if (!phone) { $("#phone").focus(); return; }
  try {
    setRider(await staff(`/v1/riders?phone=${encodeURIComponent(phone)}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      setRider(null);
      showNotice(notice, t("not_found_create"), "warn");
      $("#create-form").hidden = false;
      $("#new-phone").value = phone;
      $("#new-language").value = lang;
      $("#new-name").focus();
    } else {
      showNotice(notice, explain(error, { staff: true }));
    }
  }
}

async function createRider() {
  const name = $("#new-name").value.trim();
  const home = combos["new-home"].value;
  const body = {
    name,
    phone: $("#new-phone").value.trim(),
    language: $("#new-language").value,
    needs: {
      wheelchair: $("#new-wheelchair").checked,
      walker: $("#new-walker").checked,
      extra_boarding_s: Math.max(0, parseInt($("#new-extra").value, 10) || 0) * 60,
    },
  };
  if (home) {
    const point = home.stop_id ? await stopPoint(home.stop_id) : home;
    if (point) body.home = { label: home.name, lat: point.lat, lon: point.lon };
  }
  try {
    const created = await staff("/v1/riders", { method: "POST", body, retries: 0 });
    setRider(created);
    showNotice($("#caller-notice"), t("created", { name: created.name }), "ok");
  } catch (error) {
    showNotice($("#create-error"), explain(error, { staff: true }));
  }
}

let stopsCache = null;
async function stopPoint(stopId) {
  stopsCache = stopsCache || (await api("/v1/stops"));
  return stopsCache.find((s) => s.stop_id === stopId) || null;
}

/**
 * Show the caller and get the desk ready for them. The caller's card is drawn last, once
 * the booking form is filled in: whoever sees the name (agent or test) sees a ready form.
 */
async function setRider(found) {
  rider = found;
  $("#create-form").hidden = true;
  $("#rider-card").replaceChildren();
  if (!found) {
    for (const id of ["#book-section", "#bookings-section", "#standing-section"]) $(id).hidden = true;
    $("#rider-card").replaceChildren();
    return;
  }
  riderWords = await wordsFor(found.language);
  await startClock();
  if (rider !== found) return; // another caller was looked up meanwhile
  prefillBooking(found);
  showNotice($("#so-notice"), "");
  for (const id of ["#book-section", "#bookings-section", "#standing-section"]) $(id).hidden = false;
  $("#rider-card").replaceChildren(riderFacts(found, riderWords._name || found.language));
  loadBookings();
  loadStandingOrders();
  $("#book-from").focus();
  announce(`${t("caller_title")}: ${found.name}`);
}

function riderFacts(found, languageName) {
  const needs = [
    found.needs.wheelchair ? t("need_wheelchair") : null,
    found.needs.walker ? t("need_walker") : null,
    found.needs.extra_boarding_s ? t("extra_minutes", { n: Math.round(found.needs.extra_boarding_s / 60) }) : null,
  ].filter(Boolean);
  return el("dl", { class: "facts", id: "rider-facts" },
    el("dt", { text: t("name") }), el("dd", { id: "rider-name", text: found.name }),
    el("dt", { text: t("phone") }), el("dd", { dir: "ltr", text: found.phone }),
    el("dt", { text: t("rider_language") }), el("dd", { text: languageName }),
    el("dt", { text: t("needs") }), el("dd", { text: needs.join(", ") || t("rider_needs_none") }),
    el("dt", { text: t("home") }), el("dd", { text: found.home ? found.home.label : "–" }));
}

async function wordsFor(code) {
  if (code === lang || !code) return words;
  try {
    return { ...words, ...(await api(`/static/i18n/${encodeURIComponent(code.slice(0, 2))}.json`, { retries: 1 })) };
  } catch {
    return words;
  }
}

function prefillBooking(found) {
  const home = found.home ? { name: found.home.label, lat: found.home.lat, lon: found.home.lon, placeType: "address" } : null;
  combos["book-from"].set(home);
  combos["book-to"].set(null);
  combos["so-from"].set(home);
  combos["so-to"].set(null);
  const soon = localNow(60);
  $("#book-date").value = soon.date;
  $("#book-time").value = soon.time;
  $("#book-passengers").value = "1";
  $("#book-wheelchair").checked = found.needs.wheelchair;
  $("#so-start").value = localNow(24 * 60).date;
  $("#so-end").value = localNow(24 * 60 * 29).date;
  $("#warnings").replaceChildren();
  $("#agent-offers").replaceChildren();
}

// ---- booking for the caller -------------------------------------------------------------

function bookingRequest() {
  const kind = document.querySelector('input[name="book-kind"]:checked').value;
  return {
    origin: combos["book-from"].location(),
    destination: combos["book-to"].location(),
    [kind]: `${$("#book-date").value}T${$("#book-time").value}:00`,
    passengers: Math.max(1, parseInt($("#book-passengers").value, 10) || 1),
    wheelchairs: $("#book-wheelchair").checked ? 1 : 0,
    // the caller's recorded needs (walker, extra boarding time) apply to the offers
    rider_id: rider ? rider.rider_id : undefined,
  };
}

/** Likely mistakes: am/pm mix-ups, a second trip at the same time, times in the wrong order. */
export function warningsFor(request, bookings) {
  const warnings = [];
  const kind = request.depart_after ? "depart_after" : "arrive_by";
  const [date, clock] = request[kind].split("T");
  const hour = parseInt(clock.slice(0, 2), 10);
  const minute = clock.slice(3, 5);
  if (hour >= 1 && hour < 6) {
    const alt = `${String(hour + 12).padStart(2, "0")}:${minute}`;
    warnings.push({ key: "warn_ampm", vars: { time: clock.slice(0, 5), alt }, fix: alt });
  }
  const wanted = minutesOf(clock);
  for (const b of bookings) {
    if (!["confirmed", "on_board"].includes(b.status) || localDate(b.pickup.window_start) !== date) continue;
    const pickup = minutesOf(localClock(b.pickup.window_start));
    const arrive = minutesOf(localClock(b.dropoff.latest_arrival));
    const vars = {
      time: time(b.pickup.window_start), arrive: time(b.dropoff.latest_arrival),
      ...placeVars("pickup", b.pickup), ...placeVars("dropoff", b.dropoff),
    };
    if (Math.abs(pickup - wanted) <= 60 || (wanted >= pickup && wanted <= arrive)) {
      warnings.push({ key: "warn_duplicate", vars });
    } else if (kind === "depart_after" && sameName(combos["book-from"].value?.name, b.dropoff.name) && wanted < arrive) {
      warnings.push({ key: "warn_order", vars: { ...vars, ...placeVars("place", combos["book-from"].value), wanted: clock.slice(0, 5) } });
    }
  }
  return warnings;
}

const minutesOf = (clock) => parseInt(clock.slice(0, 2), 10) * 60 + parseInt(clock.slice(3, 5), 10);
const localClock = (iso) => new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: document.documentElement.dataset.zone || "Europe/Berlin" }).format(new Date(iso));
const sameName = (a, b) => Boolean(a && b) && (a.startsWith(b) || b.startsWith(a));

function showWarnings(warnings) {
  const box = $("#warnings");
  box.replaceChildren(...warnings.map((w) => el("div", { class: "notice warn", role: "alert" },
    el("p", { text: t(w.key, w.vars) }),
    w.fix ? el("button", { type: "button", class: "secondary", onclick: () => { $("#book-time").value = w.fix; getOffers(); } }, t("use_alt", { alt: w.fix })) : null)));
}

async function getOffers() {
  const error = $("#book-error");
  showNotice(error, "");
  const request = bookingRequest();
  if (!request.origin || !request.destination) {
    showNotice(error, t(request.origin ? "choose_to" : "choose_from"));
    $(request.origin ? "#book-to" : "#book-from").focus();
    return;
  }
  const warnings = warningsFor(request, riderBookings);
  showWarnings(warnings);
  try {
    showAgentOffers(await staff("/v1/quotes", { method: "POST", body: request }), warnings.length > 0);
  } catch (e) {
    $("#agent-offers").replaceChildren();
    showNotice(error, explain(e, { staff: true }));
  }
}

/** The agent's own address text (e.g. the caller's home) where they chose one; else the service's place. */
function spoken(place, chosen) {
  return chosen && chosen.placeType === "address" ? chosen : place;
}

function readAloud(offer) {
  return t("read_sentence", {
    day: day(offer.pickup.window_start, riderWords._locale || rider.language),
    start: time(offer.pickup.window_start), end: time(offer.pickup.window_end), arrive: time(offer.dropoff.latest_arrival),
    ...placeVars("pickup", spoken(offer.pickup, combos["book-from"].value), riderWords),
    ...placeVars("dropoff", spoken(offer.dropoff, combos["book-to"].value), riderWords),
  }, riderWords);
}

function showAgentOffers(quote, warned) {
  const box = $("#agent-offers");
  if (!quote.offers.length) {
    const alternatives = (quote.alternatives || []).filter(Boolean).map((iso) => time(iso)).join(", ");
    box.replaceChildren(el("p", { class: "notice warn", role: "status", text: `${t("no_offers")} ${alternatives ? `${t("alternatives")} ${alternatives}` : ""}` }));
    return;
  }
  box.replaceChildren(el("h3", { id: "offers-heading" }, t("read_aloud")), el("ul", { class: "offers" },
    quote.offers.map((offer, i) => el("li", {},
      el("p", { class: "aloud", id: `aloud-${i}`, lang: rider.language, text: readAloud(offer) }),
      el("button", { type: "button", "aria-describedby": `aloud-${i}`, onclick: (e) => bookOffer(offer, e.currentTarget) },
        t(warned ? "book_anyway" : "book_for", { name: rider.name }))))));
  focusHeading($("#offers-heading"));
  announce(readAloud(quote.offers[0]));
}

async function bookOffer(offer, button) {
  button.disabled = true;
  try {
    const booked = await staff("/v1/bookings", {
      method: "POST",
      headers: { "Idempotency-Key": newKey() },
      body: { offer_id: offer.offer_id, rider_id: rider.rider_id, rider: { name: rider.name, phone: rider.phone || undefined, language: rider.language } },
    });
    $("#agent-offers").replaceChildren(el("p", { class: "notice ok", role: "status", id: "booked-message", text: t("booked_for", { name: rider.name, sentence: readAloud({ ...offer, pickup: { ...offer.pickup, ...booked.pickup }, dropoff: { ...offer.dropoff, ...booked.dropoff } }) }) }));
    $("#warnings").replaceChildren();
    announce(t("booked"));
    await loadBookings();
    focusHeading($("#booked-message"));
  } catch (error) {
    button.disabled = false;
    showNotice($("#book-error"), error.status === 409 ? t("offer_gone_agent") : explain(error, { staff: true }));
  }
}

// ---- the caller's bookings ----------------------------------------------------------------

async function loadBookings() {
  const box = $("#rider-bookings");
  try {
    riderBookings = await staff(`/v1/riders/${encodeURIComponent(rider.rider_id)}/bookings`);
  } catch (error) {
    showNotice($("#rb-notice"), explain(error, { staff: true }));
    return;
  }
  const today = localNow().date;
  const shown = riderBookings.filter((b) => localDate(b.pickup.window_start) >= today);
  if (!shown.length) { box.replaceChildren(el("p", { text: t("bookings_empty") })); return; }
  box.replaceChildren(el("table", {},
    el("caption", { class: "visually-hidden", text: t("bookings_title") }),
    el("thead", {}, el("tr", {}, ["col_when", "col_from", "col_to", "col_status", "col_action"].map((k) => el("th", { scope: "col", text: t(k) })))),
    el("tbody", {}, shown.map((b) => el("tr", {},
      el("td", { text: `${day(b.pickup.window_start)}, ${time(b.pickup.window_start)}–${time(b.pickup.window_end)}` }),
      el("td", { text: placeName(b.pickup) }),
      el("td", { text: `${placeName(b.dropoff)} (${t("until")} ${time(b.dropoff.latest_arrival)})` }),
      el("td", {}, el("span", { class: `status ${b.status}`, text: t(`status_${b.status}`) })),
      el("td", { class: "cancel-cell" }, b.status === "confirmed" ? cancelButton(b) : null))))));
}

function rideLabel(b) {
  return `${day(b.pickup.window_start)} ${time(b.pickup.window_start)}, ${placeName(b.pickup)} → ${placeName(b.dropoff)}`;
}

function cancelButton(b) {
  return el("button", { type: "button", class: "danger", "aria-label": `${t("cancel")}: ${rideLabel(b)}`, onclick: (e) => askCancel(b, e.currentTarget.parentElement) }, t("cancel"));
}

/**
 * Cancelling takes a second, deliberate step: the question names the ride and gets the
 * focus (so a screen reader reads it and a held or doubled Enter cancels nothing); Tab
 * reaches "Yes, cancel", then "No, keep it".
 */
function askCancel(b, cell) {
  const question = el("p", { class: "confirm-question", tabindex: "-1", text: t("cancel_ride_confirm", { ride: rideLabel(b) }) });
  const keep = () => { cell.replaceChildren(cancelButton(b)); cell.querySelector("button").focus(); };
  cell.replaceChildren(question,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "danger confirm-yes", onclick: (e) => cancelBooking(b, e.currentTarget) }, t("cancel_yes")),
      el("button", { type: "button", class: "secondary confirm-no", onclick: keep }, t("cancel_no"))));
  question.focus();
}

async function cancelBooking(b, button) {
  button.disabled = true;
  try {
    await staff(`/v1/bookings/${encodeURIComponent(b.booking_id)}/cancel`, { method: "POST" });
    showNotice($("#rb-notice"), t("cancelled"), "ok");
    announce(t("cancelled"));
    await loadBookings();
    focusHeading($("#rb-title"));
  } catch (error) {
    button.disabled = false;
    showNotice($("#rb-notice"), explain(error, { staff: true }));
  }
}

// ---- standing orders ----------------------------------------------------------------------

const standingPath = () => `/v1/riders/${encodeURIComponent(rider.rider_id)}/standing-orders`;

function standingUnavailable(error) {
  return error instanceof ApiError && (error.status === 404 || error.status === 405) && !(error.problem?.detail || "").includes("rider");
}

async function loadStandingOrders() {
  const list = $("#so-list");
  try {
    const orders = await staff(standingPath(), { retries: 1 });
    const active = orders.filter((o) => o.active !== false);
    list.replaceChildren(active.length
      ? el("ul", { class: "offers" }, active.map((o) => el("li", {},
        el("p", { text: describeOrder(o) }),
        (o.not_served || []).length ? el("p", { class: "notice warn", text: t("standing_unserved", { dates: o.not_served.join(", ") }) }) : null,
        el("button", { type: "button", class: "secondary", "aria-label": `${t("standing_stop")}: ${describeOrder(o)}`, onclick: (e) => stopStandingOrder(o, e.currentTarget) }, t("standing_stop")))))
      : el("p", { text: t("standing_empty") }));
  } catch (error) {
    list.replaceChildren();
    showNotice($("#so-notice"), standingUnavailable(error) ? t("standing_unavailable") : explain(error, { staff: true }), "warn");
  }
}

async function stopStandingOrder(order, button) {
  button.disabled = true;
  try {
    await staff(`${standingPath()}/${encodeURIComponent(order.standing_order_id)}`, { method: "DELETE" });
    showNotice($("#so-notice"), t("standing_stopped"), "ok");
    announce(t("standing_stopped"));
    loadStandingOrders();
    loadBookings();
  } catch (error) {
    button.disabled = false;
    showNotice($("#so-notice"), explain(error, { staff: true }));
  }
}

function describeOrder(o) {
  return t("standing_row", {
    days: o.weekdays.map((d) => t(`day_${d}`)).join(", "), time: String(o.time).slice(0, 5),
    start: o.start_date, end: o.end_date,
  });
}

async function createStandingOrder() {
  const error = $("#so-error");
  showNotice(error, "");
  const origin = combos["so-from"].location();
  const destination = combos["so-to"].location();
  if (!origin || !destination) {
    showNotice(error, t(origin ? "choose_to" : "choose_from"));
    $(origin ? "#so-to" : "#so-from").focus();
    return;
  }
  const exceptions = $("#so-exceptions").value.split(/[\s,;]+/).filter(Boolean);
  const body = {
    rider_id: rider.rider_id,
    weekdays: [...document.querySelectorAll('input[name="so-day"]:checked')].map((c) => c.value),
    time: $("#so-time").value, time_kind: $("#so-kind").value,
    origin, destination,
    passengers: 1, wheelchairs: rider.needs.wheelchair ? 1 : 0,
    start_date: $("#so-start").value, end_date: $("#so-end").value, exceptions,
  };
  try {
    const created = await staff(standingPath(), { method: "POST", body, retries: 0 });
    const unserved = created.not_served || [];
    showNotice($("#so-notice"), unserved.length
      ? `${t("standing_created")} ${t("standing_unserved", { dates: unserved.map((u) => (typeof u === "string" ? u : u.date)).join(", ") })}`
      : t("standing_created"), unserved.length ? "warn" : "ok");
    loadStandingOrders();
    loadBookings();
  } catch (e) {
    showNotice(error, standingUnavailable(e) ? t("standing_unavailable") : explain(e, { staff: true }));
  }
}

start();
