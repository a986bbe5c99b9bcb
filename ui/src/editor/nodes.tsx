import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";
import type { StepStatus } from "../api/types";
import type { StepNode, TriggerInfo } from "../doc/graph";

export type StepData = {
  step: StepNode;
  title?: string;
  category?: string;
  unknown: boolean;
  status?: StepStatus;
  problems: string[];
  pinned: boolean;
  onAdd: (id: string) => void;
};
export type TriggerData = { trigger: TriggerInfo; onAdd: (id: string) => void };

/** The "+" under a node's output: add the next step there (n8n's habit). */
function AddNext({ id, onAdd }: { id: string; onAdd: (id: string) => void }) {
  return (
    <button
      className="wf-add nodrag nopan"
      title="Add the next step here"
      aria-label={`Add a step after ${id}`}
      onClick={(e) => {
        e.stopPropagation();
        onAdd(id);
      }}
    >
      +
    </button>
  );
}

export function StepNodeView({ data, selected }: NodeProps<Node<StepData>>) {
  const { step, status, problems } = data;
  const cls = ["wf-node", `cat-${data.category ?? "other"}`, status ? `st-${status}` : "", problems.length ? "has-problem" : "", selected ? "selected" : ""];
  return (
    <div className={cls.join(" ")} data-step={step.id} data-status={status ?? ""} title={problems.join("\n") || undefined}>
      <Handle type="target" position={Position.Top} />
      <div className="wf-node-head">
        <span className="wf-node-id">{step.name || step.id}</span>
        {data.pinned && <span className="pin tag" title="Pinned test output: the steps after it use it in Run this step">pinned</span>}
        {status && <span className={`dot st-${status}`} role="img" aria-label={status} />}
      </div>
      <div className="wf-node-type">
        {data.title ?? step.uses}
        {data.unknown && <span className="warn"> · unknown type</span>}
      </div>
      {(step.if || step.forEach) && (
        <div className="wf-node-tags">
          {step.if && <span className="tag" title={step.if}>if {step.if.replace(/^\{\{\s*|\s*\}\}$/g, "")}</span>}
          {step.forEach && <span className="tag">for each</span>}
        </div>
      )}
      {problems.length > 0 && <div className="wf-node-problem">{problems[0]}</div>}
      <Handle type="source" position={Position.Bottom} />
      <AddNext id={step.id} onAdd={data.onAdd} />
    </div>
  );
}

export function TriggerNodeView({ data, selected }: NodeProps<Node<TriggerData>>) {
  return (
    <div className={`wf-node trigger ${selected ? "selected" : ""}`} data-step="$trigger">
      <div className="wf-node-head">
        <span className="wf-node-id">⚡ {data.trigger.label}</span>
      </div>
      <div className="wf-node-type mono">{data.trigger.detail}</div>
      <Handle type="source" position={Position.Bottom} />
      <AddNext id="$trigger" onAdd={data.onAdd} />
    </div>
  );
}

export const nodeTypes = { step: StepNodeView, trigger: TriggerNodeView };
