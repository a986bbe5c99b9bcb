// The canvas' edge: an orthogonal route around the other nodes (route.ts),
// labelled with a branch's condition.
import { BaseEdge, useNodes, type EdgeProps } from "@xyflow/react";
import { labelAt, route, toPath, type Rect } from "./route";

export function RoutedEdge({ id, source, target, sourceX, sourceY, targetX, targetY, markerEnd, style, label, interactionWidth }: EdgeProps) {
  const nodes = useNodes();
  const obstacles: Rect[] = [];
  for (const n of nodes) {
    if (n.id === source || n.id === target) continue;
    const w = n.measured?.width ?? 220;
    const h = n.measured?.height ?? 64;
    obstacles.push({ x: n.position.x, y: n.position.y, w, h });
  }
  const pts = route([sourceX, sourceY], [targetX, targetY], obstacles);
  const [lx, ly] = labelAt(pts);
  return (
    <BaseEdge
      id={id}
      path={toPath(pts)}
      markerEnd={markerEnd}
      style={style}
      label={label}
      labelX={lx}
      labelY={ly}
      labelShowBg
      labelBgPadding={[4, 2]}
      labelBgBorderRadius={4}
      interactionWidth={interactionWidth}
    />
  );
}

export const edgeTypes = { routed: RoutedEdge };
