import { context, propagation, ROOT_CONTEXT } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { startTracing, tracingRequested } from "../../src/telemetry/index.ts";

describe("tracingRequested", () => {
  const endpoint = "http://collector:4318";
  it.each<[string, NodeJS.ProcessEnv, boolean]>([
    ["nothing set (default off)", {}, false],
    ["unrelated OTEL variables", { OTEL_SERVICE_NAME: "orders", OTEL_PROPAGATORS: "tracecontext" }, false],
    ["OTEL_TRACES_EXPORTER=otlp", { OTEL_TRACES_EXPORTER: "otlp" }, true],
    ["OTEL_TRACES_EXPORTER=console", { OTEL_TRACES_EXPORTER: "console" }, true],
    ["OTEL_TRACES_EXPORTER=none", { OTEL_TRACES_EXPORTER: "none" }, false],
    ["OTEL_TRACES_EXPORTER= None (case, spaces)", { OTEL_TRACES_EXPORTER: " None " }, false],
    ["OTEL_TRACES_EXPORTER empty", { OTEL_TRACES_EXPORTER: "" }, false],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, true],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` }, true],
    ["blank endpoint", { OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, false],
    ["none wins over an endpoint", { OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, false],
    ["OTEL_SDK_DISABLED=true wins", { OTEL_SDK_DISABLED: "true", OTEL_TRACES_EXPORTER: "otlp" }, false],
    ["OTEL_SDK_DISABLED=TRUE wins", { OTEL_SDK_DISABLED: "TRUE", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, false],
    ["OTEL_SDK_DISABLED=false", { OTEL_SDK_DISABLED: "false", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, true],
  ])("%s → %s", (_name, env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});

describe("startTracing without an SDK", () => {
  it("registers context propagation and returns a shutdown", async () => {
    const shutdown = await startTracing({ serviceName: "orders", env: {} });
    expect(propagation.fields()).toEqual(["traceparent", "tracestate"]);

    // The AsyncLocalStorage manager keeps a context across awaits; the default no-op one would not.
    const key = Symbol("test");
    const seen = await context.with(ROOT_CONTEXT.setValue(key, "kept"), async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return context.active().getValue(key);
    });
    expect(seen).toBe("kept");

    // Once per process: a second call shares the first.
    expect(await startTracing({ serviceName: "other", env: {} })).toBe(shutdown);
    await shutdown();
  });
});
