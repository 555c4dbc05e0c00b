// Map labels that do not collide, and a scale bar of a round length: pure functions (no DOM).

/** Where a label may stand around its point, in order of preference. */
const SPOTS = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]];

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (box, width, height) => box.x >= 0 && box.y >= 0 && box.x + box.w <= width && box.y + box.h <= height;

/**
 * Greedy placement: `wanted` in order of importance ({text, x, y, gap}), each put at the first
 * spot around (x, y) whose box lies inside the map and overlaps neither an obstacle nor a label
 * placed before it; labels that fit nowhere are left out. Returns the placed labels with `box`.
 */
export function placeLabels(wanted, { width, height, obstacles = [], measure }) {
  const taken = [...obstacles];
  const placed = [];
  for (const label of wanted) {
    if (label.x < 0 || label.y < 0 || label.x > width || label.y > height) continue;
    const { w, h } = measure(label);
    const box = freeSpot(label, w, h, width, height, taken);
    if (box) {
      taken.push(box);
      placed.push({ ...label, box });
    }
  }
  return placed;
}

/** The first free spot around the label's point: close to it first, then a little farther
 * (a village whose centre a bus marker covers still gets its name next to it). */
function freeSpot(label, w, h, width, height, taken) {
  for (const gap of [label.gap, label.gap + 12]) {
    for (const [dx, dy] of SPOTS) {
      const x = dx > 0 ? label.x + gap : dx < 0 ? label.x - gap - w : label.x - w / 2;
      const y = dy > 0 ? label.y + gap : dy < 0 ? label.y - gap - h : label.y - h / 2;
      const box = { x: Math.round(x), y: Math.round(y), w, h };
      if (inside(box, width, height) && !taken.some((o) => overlaps(o, box))) return box;
    }
  }
  return null;
}

const LENGTHS_M = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** The longest round length (10 m … 100 km) that is at most `maxPx` long on the map. */
export function scaleBar(metresPerPx, maxPx) {
  let best = LENGTHS_M[0];
  for (const metres of LENGTHS_M) if (metres / metresPerPx <= maxPx) best = metres;
  return { px: Math.round(best / metresPerPx), text: best >= 1000 ? `${best / 1000} km` : `${best} m` };
}
