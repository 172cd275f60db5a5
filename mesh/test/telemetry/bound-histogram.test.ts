import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { BoundHistogram } from "../../src/telemetry/bound-histogram.ts";

function histogram(registry = new Registry()) {
  return {
    registry,
    metric: new BoundHistogram({ name: "t_seconds", help: "test", buckets: [0.1, 1], registers: [registry] }),
  };
}

describe("BoundHistogram", () => {
  it("renders buckets cumulatively, with +Inf, sum and count, as prom-client writes histograms", async () => {
    const { registry, metric } = histogram();
    const child = metric.bind({ method: "Get" });
    for (const value of [0.05, 0.1, 0.5, 3]) child.observe(value);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE t_seconds histogram");
    expect(text).toContain('t_seconds_bucket{le="0.1",method="Get"} 2');
    expect(text).toContain('t_seconds_bucket{le="1",method="Get"} 3');
    expect(text).toContain('t_seconds_bucket{le="+Inf",method="Get"} 4');
    expect(text).toContain('t_seconds_sum{method="Get"} 3.65');
    expect(text).toContain('t_seconds_count{method="Get"} 4');
  });

  it("gives the same child for the same labels, so one series never splits", async () => {
    const { registry, metric } = histogram();
    metric.bind({ a: "1", b: "2" }).observe(0.2);
    metric.bind({ b: "2", a: "1" }).observe(0.2);
    expect(await registry.metrics()).toContain('t_seconds_count{a="1",b="2"} 2');
  });

  it("ignores values that are not finite, and resets with the registry", async () => {
    const { registry, metric } = histogram();
    const child = metric.bind({ m: "x" });
    child.observe(Number.NaN);
    child.observe(0.5);
    const [json] = await registry.getMetricsAsJSON();
    expect(json?.values).toContainEqual(
      expect.objectContaining({ metricName: "t_seconds_count", value: 1, labels: { m: "x" } }),
    );
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain("t_seconds_count");
  });
});
