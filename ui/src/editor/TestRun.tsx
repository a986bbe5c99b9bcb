import { useRef, useState } from "react";
import { useModal } from "./dialog";

const key = (name: string) => `weft.testinput.${name}`;

export function TestRunDialog({ name, last, onRun, onClose }: { name: string; last?: { input: unknown; trigger: string }; onRun: (input: unknown) => void; onClose: () => void }) {
  const [text, setText] = useState(() => localStorage.getItem(key(name)) ?? '{\n  "body": {}\n}');
  const [error, setError] = useState("");
  const box = useRef<HTMLDivElement>(null);
  useModal(box, onClose);
  const run = () => {
    try {
      const v = JSON.parse(text);
      localStorage.setItem(key(name), text);
      onRun(v);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="testrun-title" ref={box} onClick={(e) => e.stopPropagation()}>
        <h3 id="testrun-title">Test run</h3>
        <p className="muted small">
          The JSON input becomes <code>trigger</code> in expressions. The workflow is saved first; the run is a real execution you can find under Executions.
        </p>
        <textarea aria-label="Test input" className="mono" rows={10} value={text} onChange={(e) => setText(e.target.value)} autoFocus spellCheck={false} />
        {error && <div className="error-box small">{error}</div>}
        <div className="row gap end">
          {last && (
            <button className="btn" title="The input of this workflow's newest execution" onClick={() => setText(JSON.stringify(last.input ?? {}, null, 2))}>
              Use the last {last.trigger === "webhook" ? "webhook payload" : "run's input"}
            </button>
          )}
          <div className="grow" />
          <button className="btn" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" onClick={run}>
            Run
          </button>
        </div>
      </div>
    </div>
  );
}
