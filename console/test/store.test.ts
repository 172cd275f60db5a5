import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseLogLine } from "../src/logs/parse.ts";
import { ConsoleStore } from "../src/store/store.ts";
import { span, spanId } from "./support/spans.ts";

const trace = (i: number) => i.toString(16).padStart(32, "0");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("console store", () => {
  it("keeps at most maxTraces traces, evicting the least recently updated with their spans", () => {
    const store = new ConsoleStore(":memory:", { maxTraces: 10 });
    for (let i = 1; i <= 600; i++) store.insertSpans([span({ traceId: trace(i), startMs: i })]);
    store.prune();
    const counts = store.counts();
    expect(counts.traces).toBe(10);
    expect(counts.spans).toBe(10);
    expect(store.traces({ limit: 100 }).map((t) => t.traceId)).toEqual(
      Array.from({ length: 10 }, (_, i) => trace(600 - i)),
    );
    // A span arriving for an old trace keeps it: eviction is by last update, not by start.
    store.insertSpans([span({ traceId: trace(591), startMs: 1 })]);
    for (let i = 601; i <= 609; i++) store.insertSpans([span({ traceId: trace(i), startMs: i })]);
    store.prune();
    expect(store.traceSummary(trace(591))).toBeDefined();
    expect(store.traceSummary(trace(592))).toBeUndefined();
  });

  it("bounds spans per trace, logs and decisions", () => {
    const store = new ConsoleStore(":memory:", { maxSpansPerTrace: 3, maxLogs: 5, maxDecisions: 2 });
    store.insertSpans(Array.from({ length: 5 }, () => span()));
    expect(store.trace(span().traceId)).toHaveLength(3);
    for (let i = 0; i < 20; i++) store.insertLog(parseLogLine("orders", `line ${i}`));
    const decision = {
      timeMs: 1,
      decision: "deny" as const,
      workload: "payments",
      caller: "",
      method: "/x.Y/Z",
      policy: "",
      rule: -1,
      reason: "",
      traceId: "",
      spanId: "",
    };
    store.insertDecisions([decision, decision, decision]);
    store.prune();
    expect(store.logs().map((l) => l.msg)).toEqual(["line 15", "line 16", "line 17", "line 18", "line 19"]);
    expect(store.counts().decisions).toBe(2);
  });

  it("keeps its history across a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "console-store-"));
    dirs.push(dir);
    const file = join(dir, "history.sqlite");
    const first = new ConsoleStore(file);
    const root = span({ spanId: spanId(), attributes: { "saga.id": "order-1" } });
    first.insertSpans([root, span({ parentSpanId: root.spanId, service: "catalog" })]);
    first.insertLog(parseLogLine("orders", JSON.stringify({ level: "warn", msg: "slow", trace_id: root.traceId })));
    first.close();
    const second = new ConsoleStore(file);
    expect(second.traceSummary(root.traceId)).toMatchObject({ spanCount: 2, services: ["orders", "catalog"] });
    expect(second.logs({ traceId: root.traceId })[0]).toMatchObject({ level: "warn", msg: "slow" });
    expect(second.sagaSpans("order-1")).toHaveLength(1);
    second.close();
  });

  it("filters traces by service, errors and text, and logs by level, process and text", () => {
    const store = new ConsoleStore(":memory:");
    store.insertSpans([span({ traceId: trace(1), attributes: { "order.id": "ord_42" } })]);
    store.insertSpans([span({ traceId: trace(2), service: "payments", status: "error" })]);
    expect(store.traces({ service: "payments" }).map((t) => t.traceId)).toEqual([trace(2)]);
    expect(store.traces({ errorsOnly: true }).map((t) => t.traceId)).toEqual([trace(2)]);
    expect(store.traces({ text: "ord_42" }).map((t) => t.traceId)).toEqual([trace(1)]);
    expect(store.traces({ text: "100%_" })).toEqual([]);
    store.insertLog(parseLogLine("orders", JSON.stringify({ level: "info", msg: "placed" })));
    store.insertLog(parseLogLine("orders", JSON.stringify({ level: "error", msg: "boom" })));
    store.insertLog(parseLogLine("nats", "[1] 2024/01/01 [WRN] slow consumer"));
    expect(store.logs({ minLevel: "warn" }).map((l) => l.msg)).toEqual(["boom", "[1] 2024/01/01 [WRN] slow consumer"]);
    expect(store.logs({ process: "nats" })).toHaveLength(1);
    expect(store.logs({ text: "place" }).map((l) => l.msg)).toEqual(["placed"]);
    const first = store.logs()[0]!;
    expect(store.logs({ afterId: first.id }).map((l) => l.msg)).toEqual(["boom", "[1] 2024/01/01 [WRN] slow consumer"]);
  });

  it("merges the log line and the span event of one decision", () => {
    const store = new ConsoleStore(":memory:");
    const base = {
      timeMs: 1,
      decision: "deny" as const,
      workload: "payments",
      caller: "spiffe://cluster.local/ns/shop/sa/catalog",
      method: "/shop.payments.v1.PaymentService/Charge",
      traceId: "t",
      spanId: "s1",
    };
    store.insertDecisions([{ ...base, policy: "", rule: -1, reason: "denied: no rule matched" }]);
    store.insertDecisions([{ ...base, policy: "shop/payments", rule: 2, reason: "" }]);
    expect(store.decisions()).toEqual([
      expect.objectContaining({ policy: "shop/payments", rule: 2, reason: "denied: no rule matched" }),
    ]);
  });
});
