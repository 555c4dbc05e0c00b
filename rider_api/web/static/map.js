// A small offline map: the service's own road network (GET /v1/map/roads) drawn on a
// canvas, with markers and route lines on top. No tiles, no CDN. Keyboard: arrow keys
// pan, + and - zoom, 0 shows everything.

import { api, el, t } from "./common.js";

let roadsPromise = null;

function loadRoads() {
  if (!roadsPromise) {
    roadsPromise = api("/v1/map/roads").then((data) => {
      const lines = data.lines.map((line) => {
        const points = new Float64Array(line.length);
        let lat = 0;
        let lon = 0;
        for (let i = 0; i < line.length; i += 2) {
          lat += line[i];
          lon += line[i + 1];
          points[i] = lat / data.scale;
          points[i + 1] = lon / data.scale;
        }
        return points;
      });
      return { bbox: data.bbox, lines };
    }).catch((error) => { roadsPromise = null; throw error; });
  }
  return roadsPromise;
}

const COLOURS = {
  vehicle: "#0b4f8a", late: "#c25e00", lost: "#7a7a7a",
  pickup: "#1d6b33", dropoff: "#a4000f", break: "#7a4a00", stop: "#5b5f66", home: "#5a2d82",
};

export class RoadMap {
  /** `container` gets a canvas (role img, named `label`) and zoom buttons. */
  constructor(container, { label }) {
    this.label = label;
    this.markers = [];
    this.lines = [];
    this.view = null;
    this.canvas = el("canvas", { role: "img", "aria-label": label, tabindex: "0" });
    const button = (text, name, action) => el("button", { type: "button", class: "secondary", "aria-label": name, title: name, onclick: action }, text);
    const buttons = el("div", { class: "map-buttons" },
      button("+", t("map_zoom_in"), () => this.zoom(1.5)),
      button("−", t("map_zoom_out"), () => this.zoom(1 / 1.5)),
      button("⤢", t("map_reset"), () => this.fit()));
    container.classList.add("map");
    container.replaceChildren(this.canvas, buttons);
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.canvas.addEventListener("wheel", (e) => { e.preventDefault(); this.zoom(e.deltaY < 0 ? 1.25 : 0.8); }, { passive: false });
    this.canvas.addEventListener("pointerdown", (e) => this.drag(e));
    new ResizeObserver(() => this.draw()).observe(this.canvas);
    loadRoads().then((roads) => { this.roads = roads; if (!this.view) this.fit(); else this.draw(); }).catch(() => {});
  }

  /** markers: [{lat, lon, kind, label}]; lines: [{points: [[lat, lon]...], kind}] */
  set({ markers = [], lines = [], describe } = {}) {
    this.markers = markers;
    this.lines = lines;
    this.canvas.setAttribute("aria-label", describe ? `${this.label}: ${describe}` : this.label);
    this.draw();
  }

  /** Zoom to the markers (or the whole network without markers). */
  fit(points) {
    const pts = points || this.markers.map((m) => [m.lat, m.lon]);
    if (pts.length >= 2 || (!pts.length && this.roads)) {
      const lats = pts.length ? pts.map((p) => p[0]) : [this.roads.bbox[0], this.roads.bbox[2]];
      const lons = pts.length ? pts.map((p) => p[1]) : [this.roads.bbox[1], this.roads.bbox[3]];
      const [s, n, w, e] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
      const k = Math.cos(((s + n) / 2) * Math.PI / 180);
      const span = Math.max((n - s) * 1.3, (e - w) * k * 1.3, 0.01);
      this.view = { lat: (s + n) / 2, lon: (w + e) / 2, span, k };
    } else if (pts.length === 1) {
      this.view = { lat: pts[0][0], lon: pts[0][1], span: 0.02, k: Math.cos(pts[0][0] * Math.PI / 180) };
    }
    this.draw();
  }

  zoom(factor) {
    if (!this.view) return;
    this.view.span = Math.min(Math.max(this.view.span / factor, 0.002), 2);
    this.draw();
  }

  pan(dx, dy) {
    if (!this.view) return;
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

  drag(e) {
    if (!this.view) return;
    const start = { x: e.clientX, y: e.clientY, lat: this.view.lat, lon: this.view.lon };
    const size = Math.min(this.canvas.clientWidth, this.canvas.clientHeight) || 1;
    const move = (m) => {
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
    if (!width || !height || !this.view) return;
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
    if (["pickup", "dropoff", "stop", "home"].includes(m.kind)) g.rect(x - 7, y - 7, 14, 14);
    else g.arc(x, y, 10, 0, Math.PI * 2);
    g.fill();
    g.stroke();
    if (m.label) {
      g.font = "bold 14px system-ui, sans-serif";
      g.lineWidth = 4;
      g.strokeStyle = "#fff";
      g.strokeText(m.label, x + 13, y + 5);
      g.fillStyle = "#000";
      g.fillText(m.label, x + 13, y + 5);
    }
  }
}
