// The planning view (agents, admins): unmet demand of a month on hexagons — rejected
// requests, long walks to the road point, long waits — by rider group, next to residents'
// stop proposals, which are reviewed, accepted (a stop at once) or declined here.

import { $, announce, api, el, explain, localNow, setupLanguage, showNotice, staffToken, startClock, t } from "./common.js";
import { RoadMap } from "./map.js";

let map;

function start() {
  setupLanguage();
  startClock().catch(() => {});
  $("#month").value = localNow().date.slice(0, 7);
  $("#sign-in-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("#token").value.trim()); });
  $("#sign-out").addEventListener("click", () => { staffToken.clear(); location.reload(); });
  $("#filter-form").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  if (staffToken.get()) signIn(staffToken.get(), true);
}

function query() {
  return `/v1/planning/unmet?month=${encodeURIComponent($("#month").value || localNow().date.slice(0, 7))}&group=${$("#group").value}`;
}

async function signIn(token, quiet = false) {
  let data;
  try { data = await api(query(), { token }); } catch (error) {
    showNotice($("#sign-in-error"), explain(error, { staff: true }));
    staffToken.clear();
    return;
  }
  staffToken.set(token);
  $("#token").value = "";
  $("#sign-in").hidden = true;
  $("#board").hidden = false;
  $("#sign-out").hidden = false;
  map = new RoadMap($("#plan-map"), { label: t("plan_map") });
  render(data);
  if (!quiet) announce(t("signed_in"));
}

async function refresh() {
  try { render(await api(query(), { token: staffToken.get() })); } catch (error) { $("#status").textContent = explain(error, { staff: true }); }
}

function kindOf(c) {
  if (c.rejected >= Math.max(c.long_wait, c.long_walk)) return "dropoff";
  return c.long_wait >= c.long_walk ? "late" : "vehicle";
}

function render(data) {
  const lines = data.cells.map((c) => ({ points: [...c.boundary, c.boundary[0]], kind: kindOf(c) }));
  const markers = data.proposals.filter((p) => p.status !== "declined").map((p) => ({ lat: p.lat, lon: p.lon, kind: "home", label: `#${p.proposal_id}`, short: `#${p.proposal_id}` }));
  map.set({ lines, markers, describe: t("plan_map_summary", { cells: data.cells.length, proposals: markers.length }) });
  $("#status").textContent = t("plan_loaded", { month: data.month, cells: data.cells.length });
  renderCells(data.cells);
  renderProposals(data.proposals);
}

function renderCells(cells) {
  const top = [...cells].sort((a, b) => (b.rejected + b.long_wait + b.long_walk) - (a.rejected + a.long_wait + a.long_walk)).slice(0, 25);
  if (!top.length) { $("#cells").replaceChildren(el("p", { text: t("open_none") })); return; }
  $("#cells").replaceChildren(el("table", {},
    el("caption", { class: "visually-hidden", text: t("plan_cells") }),
    el("thead", {}, el("tr", {}, ["plan_cell", "plan_rejected", "plan_long_wait", "plan_long_walk"].map((h) => el("th", { scope: "col", text: t(h) })))),
    el("tbody", {}, top.map((c) => el("tr", {},
      el("th", { scope: "row", text: `${c.boundary[0][0].toFixed(3)}, ${c.boundary[0][1].toFixed(3)}` }),
      el("td", { text: String(c.rejected) }), el("td", { text: String(c.long_wait) }), el("td", { text: String(c.long_walk) }))))));
}

function renderProposals(items) {
  if (!items.length) { $("#proposals").replaceChildren(el("p", { text: t("prop_none") })); return; }
  $("#proposals").replaceChildren(el("ul", { class: "proposal-list" }, items.map((p) => {
    const open = p.status === "new" || p.status === "under_review";
    const id = p.proposal_id;
    return el("li", { "data-proposal": String(id) },
      el("p", {}, el("strong", { text: `#${id} ${p.reason}` }), ` (${t(`prop_channel_${p.channel}`)}, ${t("prop_supports", { n: p.supports })})`),
      el("p", {}, el("span", { class: `status ${p.status}`, text: t(`prop_status_${p.status}`) }), p.stop_id ? ` — ${t("plan_stop_made", { id: p.stop_id })}` : "", p.decision_reason ? ` — ${p.decision_reason}` : ""),
      open ? el("form", { class: "row", novalidate: true, onsubmit: (e) => { e.preventDefault(); decide(id); } },
        el("div", { class: "fit" }, el("label", { for: `decision-${id}`, text: t("plan_decision") }),
          el("select", { id: `decision-${id}` }, ["under_review", "accepted", "declined"].map((s) => el("option", { value: s, text: t(`prop_status_${s}`) })))),
        el("div", {}, el("label", { for: `name-${id}`, text: t("plan_stop_name") }), el("input", { type: "text", id: `name-${id}`, maxlength: "80" })),
        el("div", {}, el("label", { for: `why-${id}`, text: t("plan_why") }), el("input", { type: "text", id: `why-${id}`, maxlength: "300" })),
        el("div", { class: "fit" }, el("button", { type: "submit" }, t("plan_save"))),
        el("p", { id: `error-${id}`, class: "notice error", role: "alert" })) : "");
  })));
}

async function decide(id) {
  const body = { status: $(`#decision-${id}`).value, name: $(`#name-${id}`).value.trim(), reason: $(`#why-${id}`).value.trim() };
  try {
    const done = await api(`/v1/proposals/${id}/decision`, { method: "POST", body, token: staffToken.get() });
    announce(t(`prop_status_${done.status}`));
    refresh();
  } catch (error) {
    showNotice($(`#error-${id}`), explain(error, { staff: true }));
  }
}

start();
