import { describe, expect, it } from "vitest";
import { push, redo, start, undo } from "./history";

describe("history", () => {
  it("undoes and redoes", () => {
    let h = start("a");
    h = push(h, "b");
    h = push(h, "c");
    h = undo(h);
    expect(h.present).toBe("b");
    h = undo(h);
    expect(h.present).toBe("a");
    expect(undo(h)).toBe(h);
    h = redo(redo(h));
    expect(h.present).toBe("c");
    expect(redo(h)).toBe(h);
  });
  it("coalesces typing in one field and drops the future on a new edit", () => {
    let h = start("");
    h = push(h, "h", "url", 0);
    h = push(h, "he", "url", 500);
    h = push(h, "hey", "url", 900);
    expect(h.past).toEqual([""]);
    h = push(h, "hey!", "other", 950);
    expect(h.past).toEqual(["", "hey"]);
    h = undo(h);
    h = push(h, "x");
    expect(h.future).toEqual([]);
  });
});
