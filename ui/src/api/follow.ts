// Follow one execution live: Server-Sent Events first, polling when the
// stream cannot be opened or drops before the execution has finished.
import { api, eventsURL } from "./client";
import { finished, type Execution, type StepRun } from "./types";

export interface Live {
  execution: Execution;
  steps: Record<string, StepRun>; // by step id (for_each items are folded into the whole step)
}

export function mergeStep(steps: Record<string, StepRun>, run: StepRun): Record<string, StepRun> {
  const prev = steps[run.step_id];
  if (prev && run.item >= 0 && prev.item < 0) return steps; // keep the whole-step record
  return { ...steps, [run.step_id]: { ...prev, ...run } };
}

export function toLive(e: Execution): Live {
  let steps: Record<string, StepRun> = {};
  for (const s of e.steps ?? []) steps = mergeStep(steps, s);
  return { execution: e, steps };
}

/** Calls onUpdate with every change until the execution finishes; returns a stop function. */
export function follow(id: string, onUpdate: (l: Live) => void): () => void {
  let stopped = false;
  let live: Live | undefined;
  let es: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const emit = (l: Live) => {
    live = l;
    if (!stopped) onUpdate(l);
  };
  const refresh = async () => {
    try {
      const e = await api.execution(id);
      emit(toLive(e));
      return finished(e.status);
    } catch {
      return false;
    }
  };
  const poll = async () => {
    if (stopped) return;
    if (await refresh()) return;
    timer = setTimeout(poll, 1000);
  };

  void refresh().then((done) => {
    if (done || stopped) return;
    try {
      es = new EventSource(eventsURL(id));
    } catch {
      void poll();
      return;
    }
    es.addEventListener("execution", (ev) => {
      const e = JSON.parse((ev as MessageEvent).data) as Execution;
      emit({ execution: { ...live?.execution, ...e, steps: undefined }, steps: live?.steps ?? {} });
      if (finished(e.status)) {
        es?.close();
        void refresh(); // the final record has every step's output
      }
    });
    es.addEventListener("step", (ev) => {
      const s = JSON.parse((ev as MessageEvent).data) as StepRun;
      if (live) emit({ ...live, steps: mergeStep(live.steps, s) });
    });
    // The server says `event: end` once the execution has finished.
    es.addEventListener("end", () => {
      es?.close();
      es = undefined;
      void refresh();
    });
    es.onerror = () => {
      // The stream ends after the execution finishes; anything else falls back to polling.
      es?.close();
      es = undefined;
      if (!stopped && !(live && finished(live.execution.status))) void poll();
    };
  });

  return () => {
    stopped = true;
    es?.close();
    if (timer) clearTimeout(timer);
  };
}
