import { CounterServiceBinding, type CounterServiceHandlers } from "@weft/gen/weft/echo/v1/counter_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, provide, RpcError } from "../../src/index.ts";
import { address, sleep, TestWorld } from "../support/workloads.ts";

/** A counter server that fails the next `failures` calls with `failCode`, counting every attempt. */
class FlakyCounter implements CounterServiceHandlers {
  failures = 0;
  failCode = Code.UNAVAILABLE;
  /** How long each call takes. */
  delayMs = 0;
  attempts = 0;
  value = 0n;

  async getCounter() {
    await this.attempt();
    return { value: this.value };
  }

  async addToCounter(request: { delta: bigint }) {
    await this.attempt();
    this.value += request.delta;
    return { value: this.value };
  }

  private async attempt() {
    this.attempts++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.failures > 0) {
      this.failures--;
      throw new RpcError(this.failCode, "try again");
    }
  }
}

const world = new TestWorld();
const counter = new FlakyCounter();
let target: string;

beforeAll(async () => {
  const server = await (await world.mesh("counter")).serve([provide(CounterServiceBinding, counter)]);
  target = address(server.port);
});

afterAll(() => world.close());

function reset(failures: number, failCode = Code.UNAVAILABLE, delayMs = 0) {
  counter.failures = failures;
  counter.failCode = failCode;
  counter.delayMs = delayMs;
  counter.attempts = 0;
}

describe("retries on UNAVAILABLE", () => {
  it("retries a read that fails twice, then succeeds", async () => {
    const client = (await world.mesh("reader")).connect(CounterServiceBinding, { target });
    reset(2);
    const response = await client.getCounter({ name: "c" });
    expect(response.value).toBe(counter.value);
    expect(counter.attempts).toBe(3);
  });

  it("retries a write that carries an idempotency key", async () => {
    const client = (await world.mesh("writer")).connect(CounterServiceBinding, { target });
    reset(2);
    await client.addToCounter({ name: "c", delta: 1n, idempotencyKey: "k-1" });
    expect(counter.attempts).toBe(3);
  });

  it("does not retry a write without an idempotency key", async () => {
    const client = (await world.mesh("careless-writer")).connect(CounterServiceBinding, { target });
    reset(2);
    const error = (await client.addToCounter({ name: "c", delta: 1n }).catch((e: unknown) => e)) as RpcError;
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(counter.attempts).toBe(1);
  });

  it("gives up after MESH_RETRY_MAX_ATTEMPTS", async () => {
    const client = (await world.mesh("patient-reader", { retryMaxAttempts: 2 })).connect(CounterServiceBinding, {
      target,
    });
    reset(5);
    const error = (await client.getCounter({ name: "c" }).catch((e: unknown) => e)) as RpcError;
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(counter.attempts).toBe(2);
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive failures, fails fast, half-opens and closes", async () => {
    const mesh = await world.mesh("breaker-client", {
      breakerThreshold: 3,
      breakerHalfOpenMs: 300,
      retryMaxAttempts: 1,
    });
    const client = mesh.connect(CounterServiceBinding, { target });
    reset(100);
    for (let i = 0; i < 3; i++) {
      const error = (await client.getCounter({ name: "c" }).catch((e: unknown) => e)) as RpcError;
      expect(error.rawMessage).toBe("try again");
    }
    expect(counter.attempts).toBe(3);

    // Open: the next call fails at once without reaching the server.
    const fast = (await client.getCounter({ name: "c" }).catch((e: unknown) => e)) as RpcError;
    expect(fast.code).toBe(Code.UNAVAILABLE);
    expect(fast.rawMessage).toMatch(/circuit open/);
    expect(counter.attempts).toBe(3);

    // Half-open after 300 ms: one probe goes through; the server has recovered, so it closes.
    counter.failures = 0;
    await sleep(350);
    await expect(client.getCounter({ name: "c" })).resolves.toBeDefined();
    expect(counter.attempts).toBe(4);
    await client.getCounter({ name: "c" });
    await client.getCounter({ name: "c" });
    expect(counter.attempts).toBe(6);
  });

  it("does not count the caller's own mistakes as upstream failures", async () => {
    const mesh = await world.mesh("breaker-client-2", { breakerThreshold: 2, retryMaxAttempts: 1 });
    const client = mesh.connect(CounterServiceBinding, { target });
    reset(100, Code.NOT_FOUND);
    for (let i = 0; i < 4; i++) {
      const error = (await client.getCounter({ name: "x" }).catch((e: unknown) => e)) as RpcError;
      expect(error.code).toBe(Code.NOT_FOUND);
    }
    // Every call reached the server: NOT_FOUND says nothing about the upstream's health.
    expect(counter.attempts).toBe(4);
  });

  it("does not open on INTERNAL either: an upstream that answers is up", async () => {
    const mesh = await world.mesh("breaker-client-3", { breakerThreshold: 2, retryMaxAttempts: 1 });
    const client = mesh.connect(CounterServiceBinding, { target });
    reset(6, Code.INTERNAL);
    for (let i = 0; i < 6; i++) {
      const error = (await client.getCounter({ name: "x" }).catch((e: unknown) => e)) as RpcError;
      expect(error.code).toBe(Code.INTERNAL);
    }
    await expect(client.getCounter({ name: "x" })).resolves.toBeDefined();
    expect(counter.attempts).toBe(7);
  });

  it("counts a slow upstream's DEADLINE_EXCEEDED, but not a caller's tiny deadline", async () => {
    const mesh = await world.mesh("breaker-client-4", { breakerThreshold: 2, retryMaxAttempts: 1 });
    const client = mesh.connect(CounterServiceBinding, { target });
    reset(0, Code.OK, 600);
    // A client asking for 5 ms (the edge lets a client set its budget) cannot open the breaker.
    for (let i = 0; i < 4; i++) {
      const error = (await client.getCounter({ name: "x" }, { timeoutMs: 5 }).catch((e: unknown) => e)) as RpcError;
      expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    }
    // Still closed: were those counted, this would fail fast with "circuit open".
    counter.delayMs = 0;
    await expect(client.getCounter({ name: "x" })).resolves.toBeDefined();
    // An upstream too slow for a real budget does count.
    counter.delayMs = 600;
    const before = counter.attempts;
    for (let i = 0; i < 2; i++) {
      const error = (await client.getCounter({ name: "x" }, { timeoutMs: 300 }).catch((e: unknown) => e)) as RpcError;
      expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    }
    const fast = (await client.getCounter({ name: "x" }).catch((e: unknown) => e)) as RpcError;
    expect(fast.rawMessage).toMatch(/circuit open/);
    expect(counter.attempts - before).toBe(2);
    await sleep(700);
  });
});

describe("load balancing", () => {
  it("spreads calls round-robin over every address of the target", async () => {
    const replicas = [new FlakyCounter(), new FlakyCounter()];
    const ports: number[] = [];
    for (const replica of replicas) {
      const server = await (await world.mesh("counter")).serve([provide(CounterServiceBinding, replica)]);
      ports.push(server.port);
    }
    // A resolver that returns several addresses, as DNS does for a headless Service.
    const target = `ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(",")}`;
    const client = (await world.mesh("balanced")).connect(CounterServiceBinding, { target });
    for (let i = 0; i < 10; i++) await client.getCounter({ name: "c" });
    // Until the second connection is ready round_robin uses the first, so not exactly 5/5.
    const [first, second] = replicas.map((r) => r.attempts);
    expect(first! + second!).toBe(10);
    expect(Math.min(first!, second!)).toBeGreaterThanOrEqual(3);
  });
});
