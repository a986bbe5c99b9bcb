// Orthogonal edge routes that never pass behind a node. A straight or
// one-bend path is used when it is clear; otherwise the edge leaves the
// source downwards, runs along a free lane beside the nodes in its way and
// enters the target from above. Pure (route.test.ts).
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
export type Pt = [number, number];

const PAD = 8;
const STUB = 18;

function hitsSegment(r: Rect, a: Pt, b: Pt): boolean {
  const x1 = Math.min(a[0], b[0]);
  const x2 = Math.max(a[0], b[0]);
  const y1 = Math.min(a[1], b[1]);
  const y2 = Math.max(a[1], b[1]);
  return x2 > r.x - PAD && x1 < r.x + r.w + PAD && y2 > r.y - PAD && y1 < r.y + r.h + PAD;
}

export function clear(points: Pt[], obstacles: Rect[]): boolean {
  for (let i = 1; i < points.length; i++) for (const r of obstacles) if (hitsSegment(r, points[i - 1], points[i])) return false;
  return true;
}

/** The route from the source handle s (bottom of a node) to the target handle t (top of a node). */
export function route(s: Pt, t: Pt, obstacles: Rect[]): Pt[] {
  const down = t[1] - s[1] > 2 * STUB;
  if (down) {
    const candidates: Pt[][] = [];
    if (Math.abs(s[0] - t[0]) < 1) candidates.push([s, t]);
    for (const y of [s[1] + STUB, (s[1] + t[1]) / 2, t[1] - STUB]) candidates.push([s, [s[0], y], [t[0], y], t]);
    for (const c of candidates) if (clear(c, obstacles)) return c;
  }
  // A detour: along a lane left or right of everything between the two rows.
  const top = Math.min(s[1], t[1]) - STUB;
  const bottom = Math.max(s[1], t[1]) + STUB;
  const inRows = obstacles.filter((r) => r.y + r.h > top && r.y < bottom);
  const left = Math.min(s[0], t[0], ...inRows.map((r) => r.x)) - 2 * PAD - 6;
  const right = Math.max(s[0], t[0], ...inRows.map((r) => r.x + r.w)) + 2 * PAD + 6;
  const sy = s[1] + STUB;
  const ty = t[1] - STUB;
  const via = (x: number): Pt[] => [s, [s[0], sy], [x, sy], [x, ty], [t[0], ty], t];
  const mid = (s[0] + t[0]) / 2;
  const order = Math.abs(mid - left) <= Math.abs(right - mid) ? [left, right] : [right, left];
  for (const x of order) {
    const p = via(x);
    if (clear(p, obstacles)) return p;
  }
  return via(order[0]);
}

/** An SVG path through the points with small rounded corners. */
export function toPath(points: Pt[], radius = 8): string {
  const pts = points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
  let d = `M ${pts[0][0]} ${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i];
    const next = pts[i + 1];
    if (!next) {
      d += ` L ${p[0]} ${p[1]}`;
      break;
    }
    const prev = pts[i - 1];
    const r = Math.min(radius, Math.hypot(p[0] - prev[0], p[1] - prev[1]) / 2, Math.hypot(next[0] - p[0], next[1] - p[1]) / 2);
    const a: Pt = [p[0] - Math.sign(p[0] - prev[0]) * r, p[1] - Math.sign(p[1] - prev[1]) * r];
    const b: Pt = [p[0] + Math.sign(next[0] - p[0]) * r, p[1] + Math.sign(next[1] - p[1]) * r];
    d += ` L ${a[0]} ${a[1]} Q ${p[0]} ${p[1]} ${b[0]} ${b[1]}`;
  }
  return d;
}

/** Where a label sits: the middle of the longest segment. */
export function labelAt(points: Pt[]): Pt {
  let best: Pt = points[0];
  let len = -1;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const l = Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]);
    if (l > len) {
      len = l;
      best = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    }
  }
  return best;
}
