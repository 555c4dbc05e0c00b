// A small offline map: the service's own road network (GET /v1/map/roads) drawn on a
// canvas, with markers and route lines on top, village names, and a scale bar. No tiles,
// no CDN. Keyboard: arrow keys pan, + and - zoom, 0 shows everything.
//
// Labels are HTML text laid over the canvas (crisp in every script, measurable), placed
// one by one in order of importance — buses, then stops, then towns before villages
// before hamlets — each at the first of eight spots around its point where it overlaps
// no label, no marker, no button and no scale bar; a label that fits nowhere is left out.

import { api, el, t } from "./common.js";
import { placeLabels, scaleBar } from "./labels.js";

let roadsPromise = null;

/** Google's encoded polyline format (precision 5), as GET /v1/map/roads and the fleet's
 *  routes send it: the points as a flat array [lat0, lon0, lat1, lon1, ...]. */
export function decodePolyline(text) {
  const values = [];
  for (let i = 0, shift = 0, result = 0; i < text.length; i++) {
    const b = text.charCodeAt(i) - 63;
    result |= (b & 0x1f) << shift;
    shift += 5;
    if (b < 0x20) {
      values.push(result & 1 ? ~(result >> 1) : result >> 1);
      shift = 0;
      result = 0;
    }
  }
  const points = new Float64Array(values.length - (values.length % 2));
  let lat = 0;
  let lon = 0;
  for (let k = 0; k + 1 < values.length; k += 2) {
    lat += values[k];
    lon += values[k + 1];
    points[k] = lat / 1e5;
    points[k + 1] = lon / 1e5;
  }
  return points;
}

/** The same points as [[lat, lon], ...] (for route lines on top of the map). */
export function polylinePoints(text) {
  const flat = decodePolyline(text);
  const points = [];
  for (let k = 0; k < flat.length; k += 2) points.push([flat[k], flat[k + 1]]);
  return points;
}

function loadRoads() {
  if (!roadsPromise) {
    roadsPromise = api("/v1/map/roads").then((data) => ({
      bbox: data.bounds, lines: data.roads.map(decodePolyline), places: data.places || [],
    })).catch((error) => { roadsPromise = null; throw error; });
  }
  return roadsPromise;
}

const COLOURS = {
  vehicle: "#0b4f8a", late: "#c25e00", lost: "#7a7a7a",
  pickup: "#1d6b33", dropoff: "#a4000f", break: "#7a4a00", stop: "#5b5f66", home: "#5a2d82",
};
const SQUARE = ["pickup", "dropoff", "stop", "home", "break"];
/** Free margins (px) around the markers when the map zooms to them. */
const FIT_MARGIN = { x: 64, y: 36 };

export class RoadMap {
  /** `container` gets a canvas (role img, named `label`), a label layer, zoom buttons and a scale bar. */
  constructor(container, { label }) {
    this.label = label;
    this.markers = [];
    this.lines = [];
    this.view = null;
    this.fitTo = null;
    this.canvas = el("canvas", { role: "img", "aria-label": label, tabindex: "0" });
    this.labels = el("div", { class: "map-labels", "aria-hidden": "true" });
    this.scale = el("div", { class: "map-scale", "aria-hidden": "true" }, el("span", { class: "map-scale-bar" }), el("span", { class: "map-scale-text" }));
    const button = (text, name, action) => el("button", { type: "button", class: "secondary", "aria-label": name, title: name, onclick: action }, text);
    this.buttons = el("div", { class: "map-buttons" },
      button("+", t("map_zoom_in"), () => this.zoom(1.5)),
      button("−", t("map_zoom_out"), () => this.zoom(1 / 1.5)),
      button("⤢", t("map_reset"), () => this.fit()));
    this.container = container;
    container.classList.add("map");
    container.replaceChildren(this.canvas, this.labels, this.scale, this.buttons);
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.canvas.addEventListener("wheel", (e) => { e.preventDefault(); this.zoom(e.deltaY < 0 ? 1.25 : 0.8); }, { passive: false });
    this.canvas.addEventListener("pointerdown", (e) => this.drag(e));
    // A map nobody has moved keeps showing what it was fitted to, also after a resize
    // (a phone turned sideways, a window made narrower).
    new ResizeObserver(() => { if (!this.moved && this.lastFit) this.fitTo = this.lastFit; this.draw(); }).observe(this.canvas);
    loadRoads().then((roads) => { this.roads = roads; if (!this.view && !this.fitTo) this.fit(); else this.draw(); }).catch(() => {});
  }

  /** markers: [{lat, lon, kind, label, short}]; lines: [{points: [[lat, lon]...], kind}] */
  set({ markers = [], lines = [], describe } = {}) {
    this.markers = markers;
    this.lines = lines;
    this.canvas.setAttribute("aria-label", describe ? `${this.label}: ${describe}` : this.label);
    this.draw();
  }

  /** Zoom to the markers (or the whole network without markers), clear of the buttons. */
  fit(points) {
    const pts = points || this.markers.map((m) => [m.lat, m.lon]);
    if (pts.length) this.fitTo = pts;
    else if (this.roads) this.fitTo = [[this.roads.bbox[0], this.roads.bbox[1]], [this.roads.bbox[2], this.roads.bbox[3]]];
    this.lastFit = this.fitTo;
    this.moved = false;
    this.draw();
  }

  /** The view that shows `fitTo` inside the canvas minus its margins. */
  applyFit(width, height) {
    const lats = this.fitTo.map((p) => p[0]);
    const lons = this.fitTo.map((p) => p[1]);
    const [s, n, w, e] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const k = Math.cos(((s + n) / 2) * Math.PI / 180);
    const side = Math.min(width, height);
    const usableW = Math.max(width - 2 * FIT_MARGIN.x, width / 2);
    const usableH = Math.max(height - 2 * FIT_MARGIN.y, height / 2);
    const span = Math.max(((n - s) * side) / usableH, ((e - w) * k * side) / usableW, 0.006);
    this.view = { lat: (s + n) / 2, lon: (w + e) / 2, span, k };
    this.fitTo = null;
  }

  zoom(factor) {
    if (!this.view) return;
    this.moved = true;
    this.view.span = Math.min(Math.max(this.view.span / factor, 0.002), 2);
    this.draw();
  }

  pan(dx, dy) {
    if (!this.view) return;
    this.moved = true;
    this.view.lon += (dx * this.view.span) / this.view.k;
    this.view.lat += dy * this.view.span;
    this.draw();
  }

  key(e) {
    const moves = { ArrowLeft: [-0.15, 0], ArrowRight: [0.15, 0], ArrowUp: [0, 0.15], ArrowDown: [0, -0.15] };
    if (moves[e.key]) { e.preventDefault(); this.pan(...moves[e.key]); }
    else if (e.key === "+" || e.key === "=") { e.preventDefault(); this.zoom(1.5); }
    else if (e.key === "-") { e.preventDefault(); this.zoom(1 / 1.5); }
    else if (e.key === "0") { e.preventDefault(); this.fit(); }
  }

  /** Call `handler(lat, lon)` when the map is clicked without dragging (choosing a point). */
  onPick(handler) {
    this.pickHandler = handler;
  }

  /** The coordinates under a pointer event. */
  unproject(e) {
    const rect = this.canvas.getBoundingClientRect();
    const { lat, lon, span, k } = this.view;
    const scale = Math.min(rect.width, rect.height) / span;
    return [lat - (e.clientY - rect.top - rect.height / 2) / scale, lon + (e.clientX - rect.left - rect.width / 2) / (k * scale)];
  }

  drag(e) {
    if (!this.view) return;
    const start = { x: e.clientX, y: e.clientY, lat: this.view.lat, lon: this.view.lon };
    if (this.pickHandler) {
      const picked = this.unproject(e);
      const pick = (u) => {
        window.removeEventListener("pointerup", pick);
        if (Math.hypot(u.clientX - start.x, u.clientY - start.y) < 5) this.pickHandler(...picked);
      };
      window.addEventListener("pointerup", pick);
    }
    const size = Math.min(this.canvas.clientWidth, this.canvas.clientHeight) || 1;
    const move = (m) => {
      this.moved = true;
      this.view.lon = start.lon - ((m.clientX - start.x) / size) * this.view.span / this.view.k;
      this.view.lat = start.lat + ((m.clientY - start.y) / size) * this.view.span;
      this.draw();
    };
    const up = () => { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  project(width, height) {
    const { lat, lon, span, k } = this.view;
    const scale = Math.min(width, height) / span;
    return (pLat, pLon) => [width / 2 + (pLon - lon) * k * scale, height / 2 - (pLat - lat) * scale];
  }

  draw() {
    const c = this.canvas;
    const width = c.clientWidth;
    const height = c.clientHeight;
    if (!width || !height) return;
    if (this.fitTo) this.applyFit(width, height);
    if (!this.view) return;
    const ratio = window.devicePixelRatio || 1;
    c.width = Math.round(width * ratio);
    c.height = Math.round(height * ratio);
    const g = c.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.fillStyle = "#f7f5ef";
    g.fillRect(0, 0, width, height);
    const xy = this.project(width, height);
    if (this.roads) this.drawRoads(g, xy);
    for (const line of this.lines) this.drawLine(g, xy, line);
    for (const marker of this.markers) this.drawMarker(g, xy, marker);
    const metresPerPx = (this.view.span * 111320) / Math.min(width, height);
    const bar = scaleBar(metresPerPx, Math.min(120, width / 3));
    this.scale.querySelector(".map-scale-bar").style.width = `${bar.px}px`;
    this.scale.querySelector(".map-scale-text").textContent = bar.text;
    this.drawLabels(xy, width, height);
  }

  /** Everything a label must not cover, in canvas pixels: buttons, scale bar, markers. */
  obstacles(xy) {
    const box = this.canvas.getBoundingClientRect();
    const rel = (node) => {
      const r = node.getBoundingClientRect();
      return { x: r.left - box.left - 4, y: r.top - box.top - 4, w: r.width + 8, h: r.height + 8 };
    };
    const around = this.markers.map((m) => {
      const [x, y] = xy(m.lat, m.lon);
      return { x: x - 11, y: y - 11, w: 22, h: 22 };
    });
    return [rel(this.buttons), rel(this.scale), ...around];
  }

  drawLabels(xy, width, height) {
    const narrow = width < 640;
    const wanted = [];
    for (const m of this.markers) {
      const text = narrow && m.short ? m.short : m.label;
      if (!text) continue;
      const [x, y] = xy(m.lat, m.lon);
      wanted.push({ text, x, y, gap: 13, kind: m.kind === "vehicle" || m.kind === "late" || m.kind === "lost" ? "bus" : "marker" });
    }
    for (const p of this.placesByImportance()) {
      const [x, y] = xy(p.lat, p.lon);
      wanted.push({ text: p.name, x, y, gap: 4, kind: p.size });
    }
    const placed = placeLabels(wanted, { width, height, obstacles: this.obstacles(xy), measure: (l) => this.measure(l) });
    this.labels.replaceChildren(...placed.map((l) => {
      const span = el("span", { class: `map-label ${l.kind}`, dir: "auto" }, l.text);
      Object.assign(span.style, { left: `${l.box.x}px`, top: `${l.box.y}px`, width: `${l.box.w}px`, height: `${l.box.h}px` });
      return span;
    }));
  }

  /** Towns before villages before hamlets; the more people, the earlier. */
  placesByImportance() {
    if (!this.roads) return [];
    const rank = { city: 0, town: 0, village: 1, suburb: 1, hamlet: 2, isolated_dwelling: 3 };
    const sizes = ["town", "village", "hamlet", "hamlet"];
    return this.roads.places
      .map((p) => ({ ...p, rank: rank[p.kind] ?? 2 }))
      .sort((a, b) => a.rank - b.rank || (b.population || 0) - (a.population || 0) || a.name.localeCompare(b.name))
      .map((p) => ({ ...p, size: sizes[p.rank] }));
  }

  /** The label's size in pixels, in the font its CSS class gives it. */
  measure(label) {
    if (!this.measurer) this.measurer = document.createElement("canvas").getContext("2d");
    const font = { bus: "700 14px", marker: "700 13px", town: "700 14px", village: "600 13px", hamlet: "400 12px" }[label.kind];
    this.measurer.font = `${font} system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif`;
    const size = parseInt(font.split(" ")[1], 10);
    return { w: Math.ceil(this.measurer.measureText(label.text).width) + 6, h: Math.ceil(size * 1.3) };
  }

  drawRoads(g, xy) {
    g.strokeStyle = "#b9b4a7";
    g.lineWidth = 1.5;
    g.beginPath();
    for (const p of this.roads.lines) {
      let [x, y] = xy(p[0], p[1]);
      g.moveTo(x, y);
      for (let i = 2; i < p.length; i += 2) {
        [x, y] = xy(p[i], p[i + 1]);
        g.lineTo(x, y);
      }
    }
    g.stroke();
    g.fillStyle = "#4a4a4a";
    for (const p of this.roads.places) {
      const [x, y] = xy(p.lat, p.lon);
      g.beginPath();
      g.arc(x, y, p.kind === "hamlet" || p.kind === "isolated_dwelling" ? 1.5 : 2.5, 0, Math.PI * 2);
      g.fill();
    }
  }

  drawLine(g, xy, line) {
    if (line.points.length < 2) return;
    g.strokeStyle = COLOURS[line.kind] || COLOURS.vehicle;
    g.lineWidth = 4;
    g.setLineDash(line.kind === "late" ? [8, 4] : []);
    g.beginPath();
    line.points.forEach(([lat, lon], i) => {
      const [x, y] = xy(lat, lon);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    g.setLineDash([]);
  }

  drawMarker(g, xy, m) {
    const [x, y] = xy(m.lat, m.lon);
    g.fillStyle = COLOURS[m.kind] || COLOURS.stop;
    g.strokeStyle = "#000";
    g.lineWidth = 2;
    g.beginPath();
    if (SQUARE.includes(m.kind)) g.rect(x - 7, y - 7, 14, 14);
    else g.arc(x, y, 10, 0, Math.PI * 2);
    g.fill();
    g.stroke();
  }
}
