// Undo/redo over whole document texts. Typing in one field (same key within
// a second) is one step, not one per keystroke.
export interface History {
  past: string[];
  present: string;
  future: string[];
  key?: string;
  at?: number;
}

export const start = (text: string): History => ({ past: [], present: text, future: [] });

export function push(h: History, next: string, key?: string, now = Date.now()): History {
  if (next === h.present) return h;
  const coalesce = key !== undefined && key === h.key && h.at !== undefined && now - h.at < 1000;
  return {
    past: coalesce ? h.past : [...h.past, h.present].slice(-200),
    present: next,
    future: [],
    key,
    at: now,
  };
}

export function undo(h: History): History {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
}

export function redo(h: History): History {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
}
