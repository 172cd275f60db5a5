import { create, type Message } from "@bufbuild/protobuf";
import { Code, RpcError } from "@weft/mesh";
import { describe, expect, test } from "vitest";
import { encodeNdjsonStream, ndjsonContentType, ndjsonErrorLine, ndjsonLine } from "../../src/index.ts";
import { fixtureMessage, loadFixture } from "./fixture.ts";

const watchRoute = () =>
  loadFixture()
    .router.routes()
    .find((r) => r.method.name === "WatchThings")!;
const thing = (id: string, displayName: string) => create(fixtureMessage("Thing"), { id, displayName });

async function collect(lines: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const line of lines) text += line;
  return text;
}

async function* stream(items: readonly Message[], failure?: unknown): AsyncGenerator<Message> {
  for (const item of items) yield item;
  if (failure !== undefined) throw failure;
}

describe("NDJSON server streaming", () => {
  test("the content type", () => {
    expect(ndjsonContentType).toBe("application/x-ndjson");
  });

  test("one line per message; newlines inside values stay escaped", () => {
    expect(ndjsonLine({ a: "x\ny" })).toBe('{"a":"x\\ny"}\n');
  });

  test("a stream that ends cleanly is one response per line", async () => {
    const text = await collect(
      encodeNdjsonStream(watchRoute(), stream([thing("a", "line\nbreak"), thing("b", "")]), loadFixture().registry),
    );
    const lines = text.split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toMatchObject([
      { id: "a", displayName: "line\nbreak" },
      { id: "b", displayName: "" },
    ]);
  });

  test.each([
    { failure: new RpcError(Code.UNAVAILABLE, "orders is down"), code: 14, message: "orders is down" },
    // Anything else is INTERNAL, without its text.
    { failure: new Error("secret stack detail"), code: 13, message: "internal error" },
  ])("an error mid-stream is a final {error: Status} line: $message", async ({ failure, code, message }) => {
    const text = await collect(
      encodeNdjsonStream(watchRoute(), stream([thing("a", "")], failure), loadFixture().registry),
    );
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toEqual({ error: { code, message, details: [] } });
  });

  test("ndjsonErrorLine", () => {
    expect(ndjsonErrorLine(new RpcError(Code.NOT_FOUND, "gone"), loadFixture().registry)).toBe(
      '{"error":{"code":5,"message":"gone","details":[]}}\n',
    );
  });
});
