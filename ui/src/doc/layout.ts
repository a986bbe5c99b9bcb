// A small layered layout (top to bottom) for documents that come without
// ui.positions: rank = longest path from the trigger, order within a rank by
// the mean position of the parents (one barycenter sweep), file order on ties.
// Workflows are tens of steps, so this beats pulling in dagre or elkjs.
import { TRIGGER, type Graph, type XY } from "./graph";

export const NODE_W = 220;
export const NODE_H = 64;
const GAP_X = 40;
const GAP_Y = 56;

export function layout(g: Graph): Record<string, XY> {
  const rank = new Map<string, number>([[TRIGGER, 0]]);
  const ids = new Set(g.steps.map((s) => s.id));
  const byId = new Map(g.steps.map((s) => [s.id, s]));
  const visiting = new Set<string>();
  const rankOf = (id: string): number => {
    if (rank.has(id)) return rank.get(id)!;
    if (visiting.has(id)) return 1; // a cycle: the server reports it; just draw something
    visiting.add(id);
    const deps = (byId.get(id)?.deps ?? []).filter((d) => ids.has(d));
    const r = deps.length ? Math.max(...deps.map(rankOf)) + 1 : 1;
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  g.steps.forEach((s) => rankOf(s.id));

  const layers: string[][] = [[TRIGGER]];
  g.steps.forEach((s) => {
    const r = rank.get(s.id)!;
    (layers[r] ??= []).push(s.id);
  });

  const pos: Record<string, XY> = {};
  const place = (layer: string[], r: number) => {
    const width = layer.length * NODE_W + (layer.length - 1) * GAP_X;
    layer.forEach((id, i) => (pos[id] = { x: i * (NODE_W + GAP_X) - width / 2 + NODE_W / 2, y: r * (NODE_H + GAP_Y) }));
  };
  place(layers[0], 0);
  for (let r = 1; r < layers.length; r++) {
    const layer = layers[r] ?? [];
    const center = (id: string) => {
      const deps = (byId.get(id)?.deps ?? []).filter((d) => pos[d]);
      const parents = deps.length ? deps : [TRIGGER];
      return parents.reduce((a, d) => a + pos[d].x, 0) / parents.length;
    };
    const order = layer.map((id, i) => ({ id, i, c: center(id) }));
    order.sort((a, b) => a.c - b.c || a.i - b.i);
    layers[r] = order.map((o) => o.id);
    place(layers[r], r);
  }
  // Shift so that the whole picture starts at (0, 0); nodes are placed by their top-left corner.
  const minX = Math.min(...Object.values(pos).map((p) => p.x));
  for (const p of Object.values(pos)) {
    p.x = Math.round(p.x - minX);
    p.y = Math.round(p.y);
  }
  return pos;
}

/** Stored positions win; nodes without one get the automatic layout. */
export function positionsFor(g: Graph): Record<string, XY> {
  const auto = layout(g);
  const stored = g.positions;
  if (!Object.keys(stored).length) return auto;
  const out: Record<string, XY> = {};
  for (const id of [TRIGGER, ...g.steps.map((s) => s.id)]) out[id] = stored[id] ?? auto[id];
  return out;
}
