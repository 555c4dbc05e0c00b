// Residents propose a stop (a point — found by name or clicked on the map — and a reason)
// and support others' proposals. Agents signed in to the console propose for callers.

import { $, PlaceCombo, announce, api, el, explain, setupLanguage, showNotice, staffToken, startClock, t } from "./common.js";
import { RoadMap } from "./map.js";

const SUPPORTED = "rufbus_supported";
let map;
let point = null;
let combo;

function start() {
  setupLanguage();
  startClock().catch(() => {});
  map = new RoadMap($("#pick-map"), { label: t("prop_map") });
  const stops = api("/v1/stops").then((list) => new Map(list.map((s) => [s.stop_id, s]))).catch(() => new Map());
  combo = new PlaceCombo($("#where"), {
    onChange: async (place) => {
      if (!place) return;
      const at = place.lat !== undefined ? place : (await stops).get(place.stop_id);
      if (at && at.lat !== undefined && !(point && point.lat === at.lat && point.lon === at.lon)) choose(at.lat, at.lon, false);
    },
  });
  map.onPick((lat, lon) => { choose(lat, lon, true); combo.set({ name: `${lat.toFixed(5)}, ${lon.toFixed(5)}`, lat, lon }); });
  $("#propose-form").addEventListener("submit", (e) => { e.preventDefault(); send(); });
  refresh();
}

function choose(lat, lon, fromMap) {
  point = { lat, lon };
  map.set({ markers: [{ lat, lon, kind: "home", label: t("prop_here") }], describe: t("prop_here") });
  if (!fromMap) map.fit();
  announce(t("prop_chosen"));
}

async function send() {
  const reason = $("#reason").value.trim();
  const chosen = point;
  if (!chosen) { showNotice($("#where-error"), t("prop_need_point")); $("#where").focus(); return; }
  if (!reason) { showNotice($("#propose-result"), t("prop_need_reason")); $("#reason").focus(); return; }
  try {
    const made = await api("/v1/proposals", { method: "POST", body: { lat: chosen.lat, lon: chosen.lon, reason }, token: staffToken.get() || undefined });
    showNotice($("#propose-result"), t("prop_thanks", { id: made.proposal_id }), "ok");
    $("#reason").value = "";
    refresh();
  } catch (error) {
    showNotice($("#propose-result"), explain(error));
  }
}

function supported() {
  try { return JSON.parse(localStorage.getItem(SUPPORTED) || "[]"); } catch { return []; }
}

async function support(id) {
  try {
    await api(`/v1/proposals/${id}/support`, { method: "POST" });
    localStorage.setItem(SUPPORTED, JSON.stringify([...supported(), id]));
    announce(t("prop_supported"));
    refresh();
  } catch (error) {
    announce(explain(error));
  }
}

async function refresh() {
  let items;
  try { items = await api("/v1/proposals"); } catch (error) { $("#proposal-list").replaceChildren(el("li", { text: explain(error) })); return; }
  const mine = supported();
  $("#proposal-list").replaceChildren(...(items.length ? items.map((p) => el("li", { "data-proposal": String(p.proposal_id) },
    el("p", {}, el("strong", { text: `#${p.proposal_id} ${p.reason}` })),
    el("p", {}, el("span", { class: `status ${p.status}`, text: t(`prop_status_${p.status}`) }),
      p.decision_reason ? ` — ${p.decision_reason}` : ""),
    el("p", { class: "hint", text: t("prop_supports", { n: p.supports }) }),
    p.status === "new" || p.status === "under_review"
      ? el("button", { type: "button", class: "secondary", disabled: mine.includes(p.proposal_id) ? "" : undefined, "aria-label": t("prop_support_label", { id: p.proposal_id }), onclick: () => support(p.proposal_id) }, t("prop_support"))
      : "")) : [el("li", { text: t("prop_none") })]));
}

start();
