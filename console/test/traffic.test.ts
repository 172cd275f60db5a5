import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../src/traffic/histogram.ts";
import { RedWindows } from "../src/traffic/windows.ts";

describe("latency histogram", () => {
  it("answers quantiles within 2 % of the exact value", () => {
    const h = new LatencyHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.1 + i * 0.37);
    for (const v of values) h.add(v);
    const exact = (q: number) => values[Math.ceil(q * values.length) - 1]!;
    for (const q of [0.5, 0.9, 0.99]) {
      expect(Math.abs(h.quantile(q)! - exact(q)) / exact(q)).toBeLessThan(0.02);
    }
    expect(new LatencyHistogram().quantile(0.5)).toBeUndefined();
  });
});

describe("RED windows", () => {
  const bucketMs = 5_000;
  const now = 1_700_000_012_500; // 2.5 s into a bucket

  it("counts rate, errors and latency over the window, one point per bucket", () => {
    const w = new RedWindows({ bucketMs, buckets: 12 });
    for (let i = 0; i < 10; i++) w.record("m", now - 1_000, 10, i < 2, now);
    for (let i = 0; i < 5; i++) w.record("m", now - 6_000, 100, false, now);
    const s = w.summary("m", 15_000, now);
    expect(s.count).toBe(15);
    expect(s.errors).toBe(2);
    expect(s.errorRatio).toBeCloseTo(2 / 15);
    // Three buckets of which the current one is half over: 12.5 s.
    expect(s.rate).toBeCloseTo(15 / 12.5);
    expect(s.series.map((p) => p.count)).toEqual([0, 5, 10]);
    expect(s.p50Ms!).toBeCloseTo(10, 0);
    expect(s.p99Ms!).toBeGreaterThan(95);
  });

  it("leaves out what is older than the window and forgets what is older than every window", () => {
    const w = new RedWindows({ bucketMs, buckets: 4 });
    w.record("old", now - 60_000, 1, false, now); // beyond the longest window: ignored
    w.record("m", now - 16_000, 1, false, now);
    expect(w.summary("m", 5_000, now).count).toBe(0);
    expect(w.summary("m", 20_000, now).count).toBe(1);
    expect(w.keys()).toEqual(["m"]);
    w.prune(now + 60_000);
    expect(w.keys()).toEqual([]);
  });

  it("puts late samples in the bucket of their time", () => {
    const w = new RedWindows({ bucketMs, buckets: 12 });
    w.record("m", now, 1, false, now);
    w.record("m", now - 10_000, 1, true, now); // exported late
    expect(w.summary("m", 15_000, now).series.map((p) => p.errors)).toEqual([1, 0, 0]);
  });
});
