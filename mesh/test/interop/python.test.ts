import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { EchoServiceBinding, type EchoServiceHandlers } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implement, invalidArgument } from "../../src/index.ts";

const run = promisify(execFile);
const root = new URL("../../../", import.meta.url).pathname;
/** Debian's interpreter: python3-grpcio installs for it, not for other Pythons on PATH. */
const python = "/usr/bin/python3";
const installHint = "apt-get install -y python3-grpcio python3-protobuf protobuf-compiler-grpc";

const handlers: EchoServiceHandlers = {
  async echo(request, context) {
    if (request.text === "invalid") throw invalidArgument([{ field: "text", description: "not that" }]);
    if (request.delayMs > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, request.delayMs);
        context.signal.addEventListener("abort", () => resolve(clearTimeout(timer)));
      });
    }
    return { text: `ts heard: ${request.text}` };
  },
  async *count(request) {
    for (let number = 1; number <= request.count; number++) yield { number };
  },
  async collect(requests) {
    let text = "";
    for await (const r of requests) text += r.text;
    return { text, count: 0 };
  },
  async *chat(requests) {
    for await (const r of requests) yield { text: r.text.toUpperCase() };
  },
};

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".proto"))
    .map((f) => relative(dir, join(dir, f)));
}

let server: Server;
let port: number;
let out: string;

beforeAll(async () => {
  for (const tool of [python, "/usr/bin/protoc", "/usr/bin/grpc_python_plugin"]) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing; install with: ${installHint}`);
  }
  server = new Server();
  server.addService(EchoServiceBinding.definition, implement(EchoServiceBinding, handlers));
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  out = mkdtempSync(join(tmpdir(), "weft-python-"));
  const googleapis = join(root, "node_modules/google-proto-files");
  const sources = [
    ...protoFiles(join(root, "proto")),
    ...protoFiles(join(root, "mesh/proto")),
    ...protoFiles(join(root, "mesh/test/proto")),
    "google/api/annotations.proto",
    "google/api/http.proto",
    "google/api/field_behavior.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
  ];
  // What a Python user runs: protoc with the gRPC plugin over the same protos.
  await run("/usr/bin/protoc", [
    `-I${join(root, "proto")}`,
    `-I${join(root, "mesh/proto")}`,
    `-I${join(root, "mesh/test/proto")}`,
    `-I${googleapis}`,
    `--python_out=${out}`,
    `--grpc_python_out=${out}`,
    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
    ...sources,
  ]);
  // protoc writes no __init__.py; google/ must merge with the installed google.protobuf package.
  for (const entry of readdirSync(out, { recursive: true, encoding: "utf8" })) {
    const path = join(out, entry);
    if (!entry.startsWith("google") && statSync(path).isDirectory()) writeFileSync(join(path, "__init__.py"), "");
  }
  writeFileSync(
    join(out, "google", "__init__.py"),
    "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n",
  );
}, 60_000);

afterAll(() => {
  server?.forceShutdown();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("polyglot: a generated Python client calls a TypeScript server", () => {
  it("makes every kind of call, decodes error details and honours deadlines", async () => {
    const { stdout } = await run(python, [join(root, "mesh/test/interop/echo_client.py"), String(port)], {
      env: { ...process.env, PYTHONPATH: out },
      timeout: 30_000,
    });
    const results = JSON.parse(stdout);
    expect(results.unary).toBe("ts heard: from python");
    expect(results.server_streaming).toEqual([1, 2, 3]);
    expect(results.client_streaming).toBe("python");
    expect(results.bidi_streaming).toEqual(["A", "B"]);
    expect(results.error).toEqual({ code: "INVALID_ARGUMENT", violations: ["text"] });
    expect(results.deadline).toBe("DEADLINE_EXCEEDED");
    expect(results.shop_stubs).toEqual([
      "CatalogServiceStub",
      "IdentityServiceStub",
      "InventoryServiceStub",
      "NotificationServiceStub",
      "OrderServiceStub",
      "PaymentServiceStub",
    ]);
  });
});
