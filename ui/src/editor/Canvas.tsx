import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import {
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type Edge as FlowEdge,
  type Node,
  type NodeChange,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import type { Spec, StepStatus } from "../api/types";
import { TRIGGER, type Graph, type XY } from "../doc/graph";
import { positionsFor } from "../doc/layout";
import { edgeTypes } from "./edges";
import { nodeTypes, type StepData } from "./nodes";

export const DRAG_TYPE = "application/x-weft-step";
const DELETE_KEYS = ["Delete", "Backspace"];
const FIT = { maxZoom: 1, padding: 0.25 };

interface Props {
  graph: Graph;
  specs: Map<string, Spec>;
  statuses: Record<string, StepStatus>;
  problems: Record<string, string[]>;
  selected: string[];
  /** Bumped when the editor (not the user on the canvas) changes the selection. */
  selectRequest: number;
  onSelect: (ids: string[]) => void;
  onMove: (positions: Record<string, XY>, all: Record<string, XY>) => void;
  onConnect: (source: string, target: string) => void;
  onDelete: (nodes: string[], edges: { source: string; target: string }[]) => void;
  onDrop: (type: string, at: XY) => void;
  /** The "+" under a node: add the next step there. */
  onAddAfter: (id: string) => void;
  /** Double click or Enter twice: the step panel. */
  onOpen: (id: string) => void;
  pinned: Set<string>;
  /** Bumped to fit the whole graph into view (after auto-layout). */
  fitRequest: number;
}

function buildNodes(p: Props, sel: Set<string>): Node[] {
  const pos = positionsFor(p.graph);
  const nodes: Node[] = [
    { id: TRIGGER, type: "trigger", position: pos[TRIGGER], data: { trigger: p.graph.trigger, onAdd: p.onAddAfter }, deletable: false, selected: sel.has(TRIGGER), ariaLabel: `Trigger: ${p.graph.trigger.label}` },
  ];
  for (const s of p.graph.steps) {
    const spec = p.specs.get(s.uses);
    const data: StepData = {
      step: s,
      title: spec?.title,
      category: spec?.category,
      unknown: p.specs.size > 0 && !spec,
      status: p.statuses[s.id],
      problems: p.problems[s.id] ?? [],
      pinned: p.pinned.has(s.id),
      onAdd: p.onAddAfter,
    };
    nodes.push({ id: s.id, type: "step", position: pos[s.id] ?? { x: 0, y: 0 }, data, selected: sel.has(s.id), ariaLabel: `Step ${s.id} (${spec?.title ?? s.uses})` });
  }
  return nodes;
}

/**
 * Rebuilt nodes keep the size React Flow measured. A node without one is
 * hidden (visibility: hidden) until its ResizeObserver reports again, so each
 * rebuild would blink the whole graph and a click could land while a node is
 * hidden. The node's element stays observed, so a real change of size is
 * still measured.
 */
function keepMeasured(next: Node[], prev: Node[]): Node[] {
  const old = new Map(prev.map((n) => [n.id, n]));
  return next.map((n) => {
    const measured = old.get(n.id)?.measured;
    return measured ? { ...n, measured } : n;
  });
}

/** A condition as an edge label: the expression without its braces, cut to fit. */
export function conditionLabel(cond: string): string {
  const c = cond.replace(/^\s*\{\{\s*|\s*\}\}\s*$/g, "").trim();
  return `if ${c.length > 28 ? `${c.slice(0, 27)}…` : c}`;
}

function buildEdges(g: Graph, statuses: Record<string, StepStatus>): FlowEdge[] {
  const edges: FlowEdge[] = [];
  const ids = new Set(g.steps.map((s) => s.id));
  const marker = { type: MarkerType.ArrowClosed, width: 16, height: 16 };
  for (const s of g.steps) {
    const label = s.if ? conditionLabel(s.if) : undefined;
    if (s.deps.length === 0)
      edges.push({ id: `${TRIGGER}->${s.id}`, type: "routed", source: TRIGGER, target: s.id, deletable: false, className: `from-trigger${s.if ? " conditional" : ""}`, markerEnd: marker, label });
    for (const d of s.deps) {
      if (!ids.has(d)) continue;
      edges.push({
        id: `${d}->${s.id}`,
        type: "routed",
        source: d,
        target: s.id,
        markerEnd: marker,
        animated: statuses[s.id] === "running",
        label,
        className: s.if ? "conditional" : undefined,
      });
    }
  }
  return edges;
}

export function Canvas(props: Props) {
  const [nodes, setNodes] = useState<Node[]>(() => buildNodes(props, new Set(props.selected)));
  const { screenToFlowPosition, getNodes, fitView } = useReactFlow();
  useEffect(() => {
    // After auto-layout the nodes move: fit once they are rendered at their new places.
    if (props.fitRequest) requestAnimationFrame(() => void fitView(FIT));
  }, [props.fitRequest]); // eslint-disable-line react-hooks/exhaustive-deps
  // React Flow owns the selection while the user clicks; the editor only mirrors it
  // (onSelect) and overrides it through selectRequest. Feeding it back on every
  // change makes the two stores chase each other.
  useEffect(
    () => setNodes((prev) => keepMeasured(buildNodes(props, new Set(prev.filter((n) => n.selected).map((n) => n.id))), prev)),
    [props.graph, props.specs, props.statuses, props.problems, props.pinned], // eslint-disable-line react-hooks/exhaustive-deps
  );
  useEffect(() => {
    if (!props.selectRequest) return;
    const want = new Set(props.selected);
    setNodes((prev) => prev.map((n) => (n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })));
  }, [props.selectRequest]); // eslint-disable-line react-hooks/exhaustive-deps
  const edges = useMemo(() => buildEdges(props.graph, props.statuses), [props.graph, props.statuses]);
  // React Flow re-subscribes when onSelectionChange changes identity, which loops; keep one.
  const wrap = useRef<HTMLDivElement>(null);
  // Fit once, when a workflow with steps opens; later edits keep the user's viewport.
  const fitAtStart = useRef(props.graph.steps.length > 0).current;
  const latest = useRef(props);
  latest.current = props;
  const onSelectionChange = useCallback(({ nodes }: OnSelectionChangeParams) => {
    const ids = nodes.map((n) => n.id);
    if (ids.join() !== latest.current.selected.join()) latest.current.onSelect(ids);
  }, []);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    // Removals go through onDelete so the document decides; everything else is local until drag stop.
    setNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), ns));
  }, []);

  const onDragOver = (e: DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  };
  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    props.onDrop(type, { x: at.x - 110, y: at.y - 20 });
  };

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas" ref={wrap}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodeDoubleClick={(_, n) => n.id !== TRIGGER && props.onOpen(n.id)}
        onNodesChange={onNodesChange}
        onSelectionChange={onSelectionChange}
        onNodeDragStop={(_, __, dragged) => {
          const moved: Record<string, XY> = {};
          for (const n of dragged) moved[n.id] = n.position;
          const all: Record<string, XY> = {};
          for (const n of getNodes()) all[n.id] = n.position;
          props.onMove(moved, all);
        }}
        onConnect={(c: Connection) => c.source && c.target && props.onConnect(c.source, c.target)}
        onDelete={({ nodes, edges }) =>
          props.onDelete(
            nodes.map((n) => n.id),
            edges.map((e) => ({ source: e.source, target: e.target })),
          )
        }
        deleteKeyCode={DELETE_KEYS}
        fitView={fitAtStart}
        fitViewOptions={FIT}
        onInit={(rf) => {
          // A new workflow is just its trigger: put it at the top, leaving room below to drop steps.
          if (!props.graph.steps.length) void rf.setViewport({ x: (wrap.current?.clientWidth ?? 500) / 2 - 110, y: 40, zoom: 1 });
        }}
        minZoom={0.2}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
