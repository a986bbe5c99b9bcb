// Where a new step goes and what it waits for. A step dropped on or below a
// node waits for that node; otherwise it waits for the selected step; a step
// dropped below the trigger with nothing above it is a root. Its position
// never overlaps another node, so the picture cannot suggest a chain that
// the file does not have. Pure functions (placement.test.ts).
import { TRIGGER, type Graph, type XY } from "./graph";
import { NODE_H, NODE_W } from "./layout";

const GAP = 56;

/** The node whose column the point is in and that sits closest above it (or under it). */
export function anchorAt(pos: Record<string, XY>, at: XY): string | undefined {
  let best: string | undefined;
  let bestY = -Infinity;
  for (const [id, p] of Object.entries(pos)) {
    const overlapsX = at.x + NODE_W > p.x + 20 && at.x < p.x + NODE_W - 20;
    if (!overlapsX || p.y > at.y + NODE_H / 2) continue;
    if (p.y > bestY) {
      bestY = p.y;
      best = id;
    }
  }
  return best;
}

const overlaps = (a: XY, b: XY) => Math.abs(a.x - b.x) < NODE_W + 16 && Math.abs(a.y - b.y) < NODE_H + 16;

/** The nearest free spot to want: first further down, then to the right. */
export function freeSpot(pos: Record<string, XY>, want: XY, skip: Set<string> = new Set()): XY {
  const others = Object.entries(pos)
    .filter(([id]) => !skip.has(id))
    .map(([, p]) => p);
  for (let col = 0; col < 12; col++) {
    for (let row = 0; row < 4; row++) {
      const c = { x: Math.round(want.x + col * (NODE_W + 40)), y: Math.round(want.y + row * (NODE_H + GAP)) };
      if (!others.some((o) => overlaps(o, c))) return c;
    }
  }
  return want;
}

/** Below a node, at the first free spot. */
export function below(pos: Record<string, XY>, id: string): XY {
  const p = pos[id] ?? { x: 0, y: 0 };
  return freeSpot(pos, { x: p.x, y: p.y + NODE_H + GAP });
}

/**
 * What a new step waits for: the node it was dropped on or below, else the
 * selected step, else (clicked in the palette, nothing selected) the last
 * step. [] makes it a root, run at the start.
 */
export function dependencyFor(g: Graph, pos: Record<string, XY>, at: XY | undefined, selected: string | undefined): string[] {
  const ids = new Set(g.steps.map((s) => s.id));
  if (at) {
    const a = anchorAt(pos, at);
    if (a === TRIGGER) return [];
    if (a && ids.has(a)) return [a];
  }
  if (selected && ids.has(selected)) return [selected];
  if (selected === TRIGGER) return [];
  if (!at && g.steps.length) return [g.steps[g.steps.length - 1].id];
  return [];
}
