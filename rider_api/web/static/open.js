// The public open-data page: a month's figures per day, village and rider group, with a
// bar chart (SVG drawn here) and the villages on the service's own road map. Everything
// shown is aggregated and k-anonymous (GET /v1/open/{month}).

import { $, AREA_BASE, api, el, explain, lang, setupLanguage, startClock, t } from "./common.js";
import { RoadMap } from "./map.js";

let map;
const number = (v, digits = 0) => (v === null || v === undefined || v === "" ? "–" : Number(v).toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const percent = (v) => (v === null || v === undefined ? "–" : `${number(v * 100, 1)} %`);
const groupName = (kind, g) => (g === "(other)" ? t("open_other") : kind === "village" ? g : t(`open_group_${g.replace(/ /g, "_")}`));

function start() {
  setupLanguage();
  map = new RoadMap($("#village-map"), { label: t("open_map") });
  const params = new URLSearchParams(location.search);
  const month = params.get("month");
  if (month) $("#month").value = month;
  $("#month-form").addEventListener("submit", (e) => { e.preventDefault(); load($("#month").value || "current"); });
  startClock().catch(() => {});
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  load(month || "current");
}

async function load(month) {
  $("#status").textContent = t("open_loading");
  let data;
  try {
    data = await api(`/v1/open/${encodeURIComponent(month)}`);
  } catch (error) {
    $("#status").textContent = explain(error);
    return;
  }
  $("#month").value = data.month;
  $("#download").href = `${AREA_BASE}/v1/open/${data.month}/datapackage.zip`;
  render(data);
}

function table(headers, rows, caption) {
  return el("table", {},
    el("caption", { class: "visually-hidden", text: caption }),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: t(h) })))),
    el("tbody", {}, rows));
}

function render(data) {
  const days = data.tables.days;
  // The month as a whole (published when it counts at least k requests, even if each day alone is too small).
  const totals = data.totals;
  const few = t("open_too_few", { k: data.k });
  $("#status").textContent = totals ? t("open_loaded", { month: data.month }) : t("open_empty", { month: data.month });
  $("#summary").replaceChildren(...[
    ["open_requests", totals ? number(totals.requests) : few],
    ["open_served_share", totals ? percent(totals.requests ? totals.served / totals.requests : null) : "–"],
    ["open_vehicle_km", totals ? number(totals.vehicle_km, 1) : "–"], ["open_days_published", number(days.length)],
  ].flatMap(([k, v]) => [el("dt", { text: t(k) }), el("dd", { text: v })]));
  renderChart(days);
  renderMap(data.villages);
  $("#fairness").replaceChildren(data.tables.fairness.length ? table(
    ["col_group", "open_requests", "open_served_share", "open_wait_median", "open_late_share", "open_rejected"],
    data.tables.fairness.map((r) => el("tr", {},
      el("th", { scope: "row", text: `${t(`open_kind_${r.group_kind}`)}: ${groupName(r.group_kind, r.group)}` }),
      el("td", { text: number(r.requests) }), el("td", { text: percent(r.served_share) }),
      el("td", { text: number(r.wait_median_min, 1) }), el("td", { text: percent(r.late_share) }),
      el("td", { text: number(r.rejected) }))), t("open_fairness")) : el("p", { text: t("open_none") }));
  $("#days").replaceChildren(days.length ? table(
    ["col_date", "open_requests", "open_served_share", "open_wait_median", "open_wait_p90", "open_ride_median", "open_vehicle_km", "open_occupancy", "open_phone_share"],
    days.map((r) => el("tr", {},
      el("th", { scope: "row", text: r.date }), el("td", { text: number(r.requests) }),
      el("td", { text: percent(r.served_share) }), el("td", { text: number(r.wait_median_min, 1) }),
      el("td", { text: number(r.wait_p90_min, 1) }), el("td", { text: number(r.ride_median_min, 1) }),
      el("td", { text: number(r.vehicle_km, 1) }), el("td", { text: number(r.occupancy, 2) }),
      el("td", { text: percent(r.phone_share) }))), t("open_days")) : el("p", { text: t("open_none") }));
  const flows = data.tables.flows;
  $("#flows").replaceChildren(flows.length ? table(["col_from", "col_to", "open_requests", "open_served"],
    flows.map((r) => el("tr", {},
      el("td", { text: r.origin_village === "(other)" ? t("open_other") : r.origin_village }),
      el("td", { text: r.destination_village === "(other)" ? t("open_other") : r.destination_village }),
      el("td", { text: number(r.requests) }), el("td", { text: number(r.served) }))), t("open_flows")) : el("p", { text: t("open_none") }));
  // Each table leaves out its own small cells (the same requests may be left out of several).
  const perTable = {};
  for (const r of data.tables.suppression) perTable[r.table] = (perTable[r.table] || 0) + r.requests;
  const hidden = Math.max(0, ...Object.values(perTable));
  $("#privacy").textContent = t("open_privacy_text", { k: data.k, n: hidden, licence: data.licence });
}

function renderChart(days) {
  const box = $("#chart");
  if (!days.length) { box.replaceChildren(el("p", { text: t("open_none") })); return; }
  const ns = "http://www.w3.org/2000/svg";
  const svgEl = (name, attrs, text) => {
    const node = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // Room on the left for the scale, at the bottom for the days of the month.
  const left = 56, top = 12, width = 640, height = 200, bottom = 30;
  const max = Math.max(...days.map((d) => d.requests ?? 0), 1);
  const bar = (width - left) / days.length;
  const y = (value) => top + height - (value / max) * height;
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${top + height + bottom}`, role: "img", class: "chart",
    "aria-label": t("open_chart_label", { days: days.length, max }),
  });
  for (const value of [0, max]) {  // the scale: 0 and the busiest day's requests
    svg.appendChild(svgEl("line", { x1: left, x2: width, y1: y(value), y2: y(value), class: "chart-axis" }));
    svg.appendChild(svgEl("text", { x: left - 8, y: y(value) + 7, "text-anchor": "end", class: "chart-text" }, number(value)));
  }
  const every = Math.ceil(days.length / 10);  // at most about ten day labels
  days.forEach((d, i) => {
    const x = left + i * bar;
    const group = svgEl("g", {});
    group.appendChild(svgEl("title", {}, `${d.date}: ${t("open_requests")} ${number(d.requests)}, ${t("open_served")} ${number(d.served)}`));
    // The served bar is drawn narrower inside the requests bar: both stay visible.
    const parts = [[d.requests, "chart-requests", 0.05], [d.served, "chart-served", 0.25]];
    for (const [value, cls, inset] of parts) {
      if (value == null) continue;
      group.appendChild(svgEl("rect", {
        x: x + bar * inset, y: y(value), width: Math.max(bar * (1 - 2 * inset), 1),
        height: Math.max(top + height - y(value), 0), class: cls,
      }));
    }
    if (i % every === 0) {
      group.appendChild(svgEl("text", { x: x + bar / 2, y: top + height + 24, "text-anchor": "middle", class: "chart-text" },
        String(Number(d.date.slice(8, 10)))));
    }
    svg.appendChild(group);
  });
  box.replaceChildren(svg, el("ul", { class: "legend" },
    el("li", {}, el("span", { class: "swatch chart-requests" }), t("open_requests")),
    el("li", {}, el("span", { class: "swatch chart-served" }), t("open_served"))));
}

function renderMap(villages) {
  const markers = villages.features.map((f) => ({
    lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], kind: "stop",
    label: `${f.properties.village}: ${number(f.properties.requests)}`, short: f.properties.village,
  }));
  map.set({ markers, describe: t("open_map_summary", { n: markers.length }) });
  if (markers.length) map.fit();
}

start();
