import { timestampNow } from "@bufbuild/protobuf/wkt";
import { credentials, Metadata, Server, ServerCredentials } from "@grpc/grpc-js";
import {
  createEchoServiceClient,
  EchoServiceBinding,
  type EchoServiceClient,
  type EchoServiceHandlers,
} from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createTransport, errorWithReason, implement, invalidArgument, RpcError } from "../../src/index.ts";

/** What the server saw, for assertions on cancellation and metadata. */
const seen = { aborted: [] as string[], metadata: new Map<string, string>() };

const handlers: EchoServiceHandlers = {
  async echo(request, context) {
    const tag = context.metadata.get("x-tag")[0];
    if (typeof tag === "string") seen.metadata.set("x-tag", tag);
    if (request.delayMs > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, request.delayMs);
        context.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          seen.aborted.push(request.text);
          resolve(undefined);
        });
      });
    }
    if (request.text === "invalid") throw invalidArgument([{ field: "text", description: "must not be 'invalid'" }]);
    if (request.text === "crash") throw new Error("secret database password in this message");
    if (request.failWithCode !== 0) throw errorWithReason(request.failWithCode, "ECHO_FAILED", "asked to fail");
    context.responseTrailers.set("x-echoed", "yes");
    return { text: request.text, answerTime: timestampNow() };
  },
  async *count(request) {
    for (let number = 1; number <= request.count; number++) {
      if (request.failAfter > 0 && number > request.failAfter) {
        throw new RpcError(Code.RESOURCE_EXHAUSTED, `stopped after ${request.failAfter}`);
      }
      yield { number };
    }
  },
  async collect(requests) {
    const texts: string[] = [];
    for await (const request of requests) texts.push(request.text);
    return { text: texts.join(" "), count: texts.length };
  },
  async *chat(requests) {
    for await (const request of requests) yield { text: request.text.toUpperCase() };
  },
};

let server: Server;
let client: EchoServiceClient;

beforeAll(async () => {
  server = new Server();
  server.addService(EchoServiceBinding.definition, implement(EchoServiceBinding, handlers));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = createEchoServiceClient(createTransport(`127.0.0.1:${port}`, credentials.createInsecure()));
});

afterAll(() => server.forceShutdown());

async function* from<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

async function collectAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe("generated code against a real grpc-js server", () => {
  it("unary: answers with a typed message and sends headers", async () => {
    const response = await client.echo({ text: "hello" }, { metadata: { "x-tag": "t1" } });
    expect(response.$typeName).toBe("weft.echo.v1.EchoResponse");
    expect(response.text).toBe("hello");
    expect(response.answerTime).toBeDefined();
    expect(seen.metadata.get("x-tag")).toBe("t1");
  });

  it("server streaming: yields every message in order", async () => {
    const numbers = (await collectAll(client.count({ count: 5 }))).map((m) => m.number);
    expect(numbers).toEqual([1, 2, 3, 4, 5]);
  });

  it("server streaming: an error after some messages reaches the reader", async () => {
    const received: number[] = [];
    const error = await (async () => {
      for await (const m of client.count({ count: 5, failAfter: 2 })) received.push(m.number);
    })().catch((e: unknown) => e);
    expect(received).toEqual([1, 2]);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it("client streaming: joins what it was sent", async () => {
    const response = await client.collect(from([{ text: "a" }, { text: "b" }, { text: "c" }]));
    expect(response.text).toBe("a b c");
    expect(response.count).toBe(3);
  });

  it("bidi streaming: answers each message", async () => {
    const replies = await collectAll(client.chat(from([{ text: "x" }, { text: "yz" }])));
    expect(replies.map((r) => r.text)).toEqual(["X", "YZ"]);
  });

  it("bidi streaming: many messages flow with backpressure", async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ text: `m${i}-${"p".repeat(200)}` }));
    const replies = await collectAll(client.chat(from(many)));
    expect(replies).toHaveLength(2000);
    expect(replies[1999]?.text.startsWith("M1999-")).toBe(true);
  });

  it("errors carry google.rpc.BadRequest field violations", async () => {
    const error = await client.echo({ text: "invalid" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    const rpcError = error as RpcError;
    expect(rpcError.code).toBe(Code.INVALID_ARGUMENT);
    expect(rpcError.fieldViolations).toEqual([{ field: "text", description: "must not be 'invalid'" }]);
  });

  it("errors carry a google.rpc.ErrorInfo reason", async () => {
    const error = (await client
      .echo({ text: "x", failWithCode: Code.FAILED_PRECONDITION })
      .catch((e) => e)) as RpcError;
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.reason).toBe("ECHO_FAILED");
    expect(error.rawMessage).toBe("asked to fail");
  });

  it("unexpected exceptions become INTERNAL without leaking their text", async () => {
    const error = (await client.echo({ text: "crash" }).catch((e) => e)) as RpcError;
    expect(error.code).toBe(Code.INTERNAL);
    expect(error.message).not.toContain("password");
  });

  it("deadlines: the client gets DEADLINE_EXCEEDED and the handler's signal aborts", async () => {
    const started = Date.now();
    const error = (await client.echo({ text: "slow", delayMs: 5_000 }, { timeoutMs: 100 }).catch((e) => e)) as RpcError;
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(4_000);
    await expect.poll(() => seen.aborted).toContain("slow");
  });

  it("cancellation: aborting the caller's signal cancels the call on both ends", async () => {
    const controller = new AbortController();
    const pending = client.echo({ text: "to-cancel", delayMs: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = (await pending.catch((e) => e)) as RpcError;
    expect(error.code).toBe(Code.CANCELLED);
    await expect.poll(() => seen.aborted).toContain("to-cancel");
  });

  it("every call carries a deadline, even when the caller sets none", async () => {
    const plain = createTransport("127.0.0.1:1", credentials.createInsecure(), { defaultTimeoutMs: 200 });
    const unreachable = createEchoServiceClient(plain);
    const error = (await unreachable.echo({ text: "x" }).catch((e) => e)) as RpcError;
    expect([Code.DEADLINE_EXCEEDED, Code.UNAVAILABLE]).toContain(error.code);
  });

  it("accepts metadata as a grpc-js Metadata object", async () => {
    const metadata = new Metadata();
    metadata.set("x-tag", "t2");
    await client.echo({ text: "md" }, { metadata });
    expect(seen.metadata.get("x-tag")).toBe("t2");
  });
});
