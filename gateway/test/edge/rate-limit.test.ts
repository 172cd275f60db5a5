import { describe, expect, it } from "vitest";
import { FixedWindows } from "../../src/edge/rate-limit.ts";

describe("FixedWindows", () => {
  it("admits `points` per window from a key's first request, then says how long to wait", () => {
    let now = 10_000;
    const windows = new FixedWindows(2, 1_000, () => now);
    expect(windows.take("a")).toBeUndefined();
    now += 300;
    expect(windows.take("a")).toBeUndefined();
    expect(windows.take("a")).toBe(700);
    expect(windows.take("b")).toBeUndefined(); // keys count apart
    now += 699;
    expect(windows.take("a")).toBe(1);
    now += 1; // the window has ended: a fresh one starts with this request
    expect(windows.take("a")).toBeUndefined();
    expect(windows.take("a")).toBeUndefined();
    expect(windows.take("a")).toBe(1_000);
    windows.stop();
  });

  it("drops ended windows when swept", () => {
    let now = 0;
    const windows = new FixedWindows(1, 1_000, () => now);
    windows.take("a");
    now = 500;
    windows.take("b");
    now = 1_000;
    windows.sweep();
    expect(windows.size).toBe(1);
    now = 1_500;
    windows.sweep();
    expect(windows.size).toBe(0);
    windows.stop();
  });
});
