import {
  EchoServiceBinding,
  type EchoServiceClient,
  type EchoServiceHandlers,
} from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, provide, RpcError } from "../../src/index.ts";
import { address, sleep, TestWorld } from "../support/workloads.ts";

/**
 * A → B → C, each its own workload with its own certificate: A and B forward the request, C
 * works until its signal aborts. What each hop saw is recorded.
 */
const world = new TestWorld();
const seen = {
  deadlines: new Map<string, Date | undefined>(),
  cAborted: [] as unknown[],
  principals: new Map<string, string | undefined>(),
  requestIds: new Map<string, string>(),
};
let client: EchoServiceClient;

function forwardingHandlers(hop: string, next: () => EchoServiceClient | undefined): EchoServiceHandlers {
  return {
    async echo(request, context) {
      seen.deadlines.set(hop, context.deadline);
      seen.principals.set(hop, context.principal);
      seen.requestIds.set(hop, context.requestId);
      const downstream = next();
      if (downstream) return downstream.echo(request);
      try {
        await sleep(request.delayMs, context.signal);
      } catch (reason) {
        seen.cAborted.push(reason);
        throw reason;
      }
      return { text: request.text };
    },
    count: async function* () {},
    collect: async () => ({}),
    chat: async function* () {},
  };
}

beforeAll(async () => {
  const [a, b, c, tester] = await Promise.all(["a", "b", "c", "tester"].map((n) => world.mesh(n)));
  const cServer = await c!.serve([
    provide(
      EchoServiceBinding,
      forwardingHandlers("c", () => undefined),
    ),
  ]);
  const toC = b!.connect(EchoServiceBinding, { target: address(cServer.port) });
  const bServer = await b!.serve([
    provide(
      EchoServiceBinding,
      forwardingHandlers("b", () => toC),
    ),
  ]);
  const toB = a!.connect(EchoServiceBinding, { target: address(bServer.port) });
  const aServer = await a!.serve([
    provide(
      EchoServiceBinding,
      forwardingHandlers("a", () => toB),
    ),
  ]);
  client = tester!.connect(EchoServiceBinding, { target: address(aServer.port) });
  // Open the three mTLS connections first: the 200 ms budget below is about deadlines, and on a
  // busy machine three TLS handshakes alone can take longer than that.
  await client.echo({ text: "warm-up", delayMs: 0 }, { timeoutMs: 10_000 });
  seen.deadlines.clear();
  seen.principals.clear();
  seen.requestIds.clear();
});

afterAll(() => world.close());

describe("deadlines across A → B → C", () => {
  it("a 200 ms budget ends in DEADLINE_EXCEEDED and C stops working on it", async () => {
    const started = Date.now();
    const error = await client.echo({ text: "chain", delayMs: 5_000 }, { timeoutMs: 200 }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect(elapsed).toBeLessThan(2_000);
    // C's signal aborted: it stopped the work instead of running for 5 s.
    await expect.poll(() => seen.cAborted.length, { timeout: 2_000 }).toBe(1);
    // Whichever comes first ends it: C's own copy of the deadline, or B cancelling the stream.
    expect([Code.DEADLINE_EXCEEDED, Code.CANCELLED]).toContain((seen.cAborted[0] as RpcError).code);
  });

  it("each hop's deadline is the caller's remaining budget, never later", () => {
    const [a, b, c] = ["a", "b", "c"].map((hop) => seen.deadlines.get(hop)?.getTime());
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(c).toBeDefined();
    expect(b!).toBeLessThanOrEqual(a! + 5); // grpc-timeout travels in whole units
    expect(c!).toBeLessThanOrEqual(b! + 5);
  });

  it("every hop sees its caller's verified SPIFFE principal", () => {
    expect(seen.principals.get("a")).toBe("cluster.local/ns/shop/sa/tester");
    expect(seen.principals.get("b")).toBe("cluster.local/ns/shop/sa/a");
    expect(seen.principals.get("c")).toBe("cluster.local/ns/shop/sa/b");
  });

  it("the request id travels along the chain", async () => {
    await client.echo({ text: "id", delayMs: 0 }, { metadata: { "x-request-id": "req-123" } });
    expect(seen.requestIds.get("a")).toBe("req-123");
    expect(seen.requestIds.get("b")).toBe("req-123");
    expect(seen.requestIds.get("c")).toBe("req-123");
  });

  it("a call with no deadline of its own still gets the client's default budget", async () => {
    await client.echo({ text: "default", delayMs: 0 });
    const deadline = seen.deadlines.get("a");
    expect(deadline).toBeDefined();
    expect(deadline!.getTime() - Date.now()).toBeLessThanOrEqual(10_000);
  });
});
