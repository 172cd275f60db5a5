// `weft traces`, `weft authz` and `weft events` against a running console (its JSON API), as a
// script or a coding agent runs them: --json for the data, a readable default, and one line when
// no console answers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { main } from "@weft/cli";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startConsole, type WeftConsole } from "../src/console.ts";
import { type PrivateNats, startPrivateNats } from "./support/nats.ts";
import { catalogChargeDenied, span, traceA, traceB } from "./support/spans.ts";

const dir = mkdtempSync(join(tmpdir(), "console-cli-"));
let console: WeftConsole;
let nats: PrivateNats;

beforeAll(async () => {
  nats = await startPrivateNats();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "SHOP_ORDERS_V1", subjects: ["shop.orders.v1.>"] });
  await jsm.consumers.add("SHOP_ORDERS_V1", { durable_name: "payments-orders", filter_subject: "shop.orders.v1.>" });
  await jsm.jetstream().publish("shop.orders.v1.OrderPlaced", "{}");
  await nc.close();
  console = await startConsole({ dataDir: dir, port: 0, otlp: { httpPort: 0, grpcPort: -1 }, assets: false });
  console.update({ natsUrl: nats.url });
  const root = span({ traceId: traceA, name: "POST /v1/orders", kind: "server", service: "gateway" });
  console.ingestSpans([
    root,
    span({ traceId: traceA, parentSpanId: root.spanId, startMs: root.startMs + 2, durationMs: 4 }),
    span({
      traceId: traceB,
      name: "shop.payments.v1.PaymentService/Charge",
      service: "payments",
      status: "error",
      statusMessage: "permission denied",
      events: [catalogChargeDenied({ "authz.policy": "", "authz.rule": -1, "authz.reason": "no rule matched" })],
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await console?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `weft <args>` in this process, with what it printed. */
async function weft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main([...args, "--console", console.url]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("weft traces", () => {
  it("lists the recent traces as JSON, filtered as asked", async () => {
    const all = JSON.parse((await weft("traces", "--json")).stdout) as Array<{ traceId: string }>;
    expect(all.map((t) => t.traceId).sort()).toEqual([traceA, traceB].sort());
    const errors = JSON.parse((await weft("traces", "--json", "--errors")).stdout) as Array<{ traceId: string }>;
    expect(errors.map((t) => t.traceId)).toEqual([traceB]);
  });

  it("prints one trace as a waterfall, the child indented under its parent", async () => {
    const { code, stdout } = await weft("traces", traceA);
    expect(code).toBe(0);
    expect(stdout).toContain(`trace ${traceA}: gateway POST /v1/orders`);
    expect(stdout).toMatch(/\+2\.00 ms\s+4\.00 ms\s+orders\s+server\s+ {2}shop\.orders\.v1\.OrderService\/PlaceOrder/);
  });

  it("refuses a malformed trace id, and says so when the console has no such trace", async () => {
    expect((await weft("traces", "xyz")).code).toBe(2);
    const missing = await weft("traces", "f".repeat(32));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no trace ffff");
  });
});

describe("weft authz", () => {
  it("prints each deny with the grant it lacks, and the decisions as JSON", async () => {
    const { stdout } = await weft("authz", "--deny");
    expect(stdout).toMatch(/DENY\s+catalog\s+payments\s+\/shop\.payments\.v1\.PaymentService\/Charge/);
    expect(stdout).toContain("no rule matched");
    const decisions = JSON.parse((await weft("authz", "--json")).stdout) as Array<{
      decision: string;
      suggestion?: { explanation: string };
    }>;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ decision: "deny", suggestion: { explanation: expect.any(String) } });
    expect(JSON.parse((await weft("authz", "--json", "--allow")).stdout)).toEqual([]);
    expect((await weft("authz", "--deny", "--allow")).code).toBe(2);
  });
});

describe("weft events", () => {
  it("shows the streams with their consumers' pending counts, and an empty DEAD_LETTERS", async () => {
    const events = JSON.parse((await weft("events", "--json")).stdout) as {
      streams: Array<{ name: string; consumers: Array<{ name: string; pending: number }> }>;
      deadLetters: unknown[];
    };
    expect(events.streams.find((s) => s.name === "SHOP_ORDERS_V1")?.consumers).toEqual([
      expect.objectContaining({ name: "payments-orders", pending: 1 }),
    ]);
    expect(events.deadLetters).toEqual([]);
    const { stdout } = await weft("events");
    expect(stdout).toMatch(/SHOP_ORDERS_V1\s+shop\.orders\.v1\.>\s+1\s+payments-orders\s+1\s+0\s+0/);
    expect(stdout).toContain("DEAD_LETTERS is empty");
  });

  it("passes the console's refusal of a re-drive through as one line", async () => {
    const { code, stderr } = await weft("events", "redrive", "99");
    expect(code).toBe(1);
    expect(stderr).toBe(
      "weft: the console refused /api/events/dead-letters/99/redrive: no dead letter with sequence 99\n",
    );
  });
});

describe("with no console running", () => {
  it("says so in one line and exits 1", async () => {
    const out = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      // Port 9 (discard): nothing listens there.
      for (const command of ["traces", "authz", "events"]) {
        expect(await main([command, "--console", "http://127.0.0.1:9"])).toBe(1);
      }
      expect(out.mock.calls.map(([line]) => String(line))).toEqual(
        Array(3).fill("weft: no console at http://127.0.0.1:9 — is `make up` running?\n"),
      );
    } finally {
      out.mockRestore();
    }
  });
});
