import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_weft_echo_v1_counter } from "@weft/gen/weft/echo/v1/counter_pb.js";
import { file_weft_echo_v1_echo } from "@weft/gen/weft/echo/v1/echo_pb.js";
import { file_weft_echo_v1_events } from "@weft/gen/weft/echo/v1/events_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { checkAppContracts, findAppRoot, loadApp, loadContracts, ManifestError } from "../../src/app/index.ts";
import { appOnDisk, descriptorSet, registryOf } from "./fixture.ts";

// A two-service app over the mesh's echo fixtures: counter calls echo and consumes its event.
const echo = `name: echo
port: 50061
implements: [weft.echo.v1.EchoService]
publishes: [weft.echo.v1.ThingNamed]
`;
const counter = `name: counter
implements: [weft.echo.v1.CounterService]
database: true
calls:
  echo: [EchoService/Count, weft.echo.v1.EchoService/Echo]
consumes: [weft.echo.v1.ThingNamed]
settings: { COUNTER_LIMIT: "10" }
devSettings: { COUNTER_DEBUG: "1" }
`;
const registry = registryOf(file_weft_echo_v1_echo, file_weft_echo_v1_counter, file_weft_echo_v1_events);

let removers: (() => void)[] = [];
afterEach(() => {
  for (const remove of removers) remove();
  removers = [];
});

function app(overrides: Record<string, string> = {}): string {
  const files = {
    "weft.app.yaml": "name: demo\n",
    "services/echo/weft.yaml": echo,
    "services/counter/weft.yaml": counter,
    ...overrides,
  };
  const disk = appOnDisk(Object.fromEntries(Object.entries(files).filter(([, content]) => content !== "")));
  removers.push(disk.remove);
  return disk.root;
}

/** The ManifestError message loading (and, with contracts, checking) the app throws. */
function problem(root: string, contracts = false): string {
  try {
    const loaded = loadApp(root);
    if (contracts) checkAppContracts(loaded, registry);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as Error).message;
  }
  throw new Error("no ManifestError");
}

describe("loadApp", () => {
  it("applies the defaults, resolves calls and ports, sorts the services", () => {
    const root = app();
    const loaded = loadApp(root);
    checkAppContracts(loaded, registry);
    expect(loaded.root).toBe(root);
    expect(loaded.file).toBe(join(root, "weft.app.yaml"));
    expect(loaded.manifest).toEqual({
      name: "demo",
      trustDomain: "cluster.local",
      namespace: "demo",
      edge: { port: 8080, auth: undefined },
      dev: { seed: undefined },
    });
    expect(loaded.services.map((service) => service.name)).toEqual(["counter", "echo"]);
    expect(loaded.service("counter")).toEqual({
      name: "counter",
      file: join(root, "services/counter/weft.yaml"),
      dir: join(root, "services/counter"),
      // echo declares 50061; counter gets the first port from 50051 up.
      port: 50051,
      implements: ["weft.echo.v1.CounterService"],
      database: true,
      edge: false,
      calls: [{ service: "echo", methods: ["/weft.echo.v1.EchoService/Count", "/weft.echo.v1.EchoService/Echo"] }],
      publishes: [],
      consumes: ["weft.echo.v1.ThingNamed"],
      settings: { COUNTER_LIMIT: "10" },
      devSettings: { COUNTER_DEBUG: "1" },
    });
    expect(loaded.service("echo")?.port).toBe(50061);
    expect(loaded.service("nope")).toBeUndefined();
    expect(loaded.spiffeId("counter")).toBe("spiffe://cluster.local/ns/demo/sa/counter");
  });

  it("reads the app file's trust domain, namespace, edge and dev seed", () => {
    const root = app({
      "weft.app.yaml": `name: demo
trustDomain: example.org
namespace: demo-prod
edge:
  port: 9090
  auth: { issuer: me, audience: you, jwks: { url: "https://issuer.example/jwks.json" } }
dev: { seed: scripts/seed.ts }
`,
    });
    const loaded = loadApp(root);
    expect(loaded.manifest).toEqual({
      name: "demo",
      trustDomain: "example.org",
      namespace: "demo-prod",
      edge: { port: 9090, auth: { issuer: "me", audience: "you", jwks: { url: "https://issuer.example/jwks.json" } } },
      dev: { seed: "scripts/seed.ts" },
    });
    expect(loaded.spiffeId("gateway")).toBe("spiffe://example.org/ns/demo-prod/sa/gateway");
  });

  it("an app without services loads with none", () => {
    const root = app({ "services/echo/weft.yaml": "", "services/counter/weft.yaml": "" });
    expect(loadApp(root).services).toEqual([]);
  });

  it("a service calling an unknown service", () => {
    const root = app({ "services/counter/weft.yaml": counter.replace("  echo:", "  ekho:") });
    expect(problem(root)).toBe(
      "services/counter/weft.yaml: calls.ekho: ekho is not a service of this app (services: counter, echo)",
    );
  });

  it("an RPC the upstream's proto service does not have", () => {
    const root = app({ "services/counter/weft.yaml": counter.replace("EchoService/Count", "EchoService/Cuont") });
    expect(loadApp(root).service("counter")?.calls[0]?.methods[0]).toBe("/weft.echo.v1.EchoService/Cuont");
    expect(problem(root, true)).toBe(
      "services/counter/weft.yaml: calls.echo: EchoService/Cuont is not an RPC of weft.echo.v1.EchoService",
    );
  });

  it("an RPC of a proto service the upstream does not implement", () => {
    const root = app({
      "services/counter/weft.yaml": counter.replace("EchoService/Count", "CounterService/GetCounter"),
    });
    expect(problem(root)).toBe(
      "services/counter/weft.yaml: calls.echo: CounterService/GetCounter: CounterService is not a proto service echo implements (weft.echo.v1.EchoService)",
    );
  });

  it("a consumed event nobody publishes", () => {
    const root = app({ "services/echo/weft.yaml": echo.replace("publishes: [weft.echo.v1.ThingNamed]\n", "") });
    expect(problem(root)).toBe(
      "services/counter/weft.yaml: consumes[0]: weft.echo.v1.ThingNamed is published by no service of this app",
    );
  });

  it("a published event type that is no message in the protos", () => {
    const root = app({
      "services/echo/weft.yaml": echo.replace(
        "[weft.echo.v1.ThingNamed]",
        "[weft.echo.v1.ThingNamed, weft.echo.v1.ThingRenamed]",
      ),
    });
    expect(problem(root, true)).toBe(
      "services/echo/weft.yaml: publishes[1]: weft.echo.v1.ThingRenamed is not a message in the protos",
    );
  });

  it("an implemented proto service that is not in the protos", () => {
    const root = app({
      "services/echo/weft.yaml": echo.replace("weft.echo.v1.EchoService", "weft.echo.v1.EchoServise"),
    });
    // counter's call names EchoService, which echo no longer implements: that is found first, without protos.
    expect(problem(root)).toMatch(/^services\/counter\/weft\.yaml: calls\.echo: /);
    const alone = app({
      "services/echo/weft.yaml": echo.replace("weft.echo.v1.EchoService", "weft.echo.v1.EchoServise"),
      "services/counter/weft.yaml": "",
    });
    expect(problem(alone, true)).toBe(
      "services/echo/weft.yaml: implements[0]: weft.echo.v1.EchoServise is not a service in the protos",
    );
  });

  it("a proto service implemented twice", () => {
    const root = app({
      "services/counter/weft.yaml": counter.replace(
        "[weft.echo.v1.CounterService]",
        "[weft.echo.v1.CounterService, weft.echo.v1.EchoService]",
      ),
    });
    expect(problem(root)).toBe(
      "services/echo/weft.yaml: implements[0]: weft.echo.v1.EchoService is already implemented by counter",
    );
  });

  it("a name that is not its folder's", () => {
    const root = app({ "services/counter/weft.yaml": counter.replace("name: counter", "name: counters") });
    expect(problem(root)).toBe("services/counter/weft.yaml: name: counters must equal its folder name counter");
  });

  it("a service named like the edge's workload", () => {
    const root = app({ "services/gateway/weft.yaml": "name: gateway\nimplements: [weft.echo.v1.Other]\n" });
    expect(problem(root)).toBe(
      "services/gateway/weft.yaml: name: gateway is the edge's workload name and cannot be a service",
    );
  });

  it("two services on one port, and a service on the edge's", () => {
    const root = app({ "services/counter/weft.yaml": `${counter}port: 50061\n` });
    expect(problem(root)).toBe("services/echo/weft.yaml: port: 50061 is already the port of counter");
    const edge = app({ "services/echo/weft.yaml": echo.replace("50061", "8080") });
    expect(problem(edge)).toBe("services/echo/weft.yaml: port: 8080 is already the port of the edge");
  });

  it("an edge JWKS method of a proto service no service implements, and one that is no RPC", () => {
    const auth = (rpc: string) => `name: demo\nedge: { auth: { issuer: i, audience: a, jwks: { rpc: ${rpc} } } }\n`;
    expect(problem(app({ "weft.app.yaml": auth("weft.echo.v1.KeyService/GetKeys") }))).toBe(
      "weft.app.yaml: edge.auth.jwks.rpc: weft.echo.v1.KeyService is implemented by no service of this app",
    );
    expect(problem(app({ "weft.app.yaml": auth("weft.echo.v1.EchoService/GetKeys") }), true)).toBe(
      "weft.app.yaml: edge.auth.jwks.rpc: weft.echo.v1.EchoService/GetKeys is not an RPC in the protos",
    );
  });

  describe("schema violations", () => {
    it.each([
      [
        "services/echo/weft.yaml",
        echo.replace("50061", '"fifty"'),
        'services/echo/weft.yaml: port: must be integer (got "fifty")',
      ],
      [
        "services/counter/weft.yaml",
        counter.replace("calls:", "colls:"),
        "services/counter/weft.yaml: colls: is not a known field (known: name, port, implements, database, edge, calls, publishes, consumes, settings, devSettings)",
      ],
      [
        "services/echo/weft.yaml",
        echo.replace(/implements:.*\n/, ""),
        "services/echo/weft.yaml: implements: is required",
      ],
      [
        "services/counter/weft.yaml",
        counter.replace("  echo:", "  Echo:"),
        'services/counter/weft.yaml: calls.Echo: "Echo" is not a lowercase identifier ([a-z][a-z0-9-]*)',
      ],
      [
        "services/counter/weft.yaml",
        counter.replace('COUNTER_LIMIT: "10"', "COUNTER_LIMIT: 10"),
        "services/counter/weft.yaml: settings.COUNTER_LIMIT: must be string (got 10)",
      ],
      [
        "services/counter/weft.yaml",
        counter.replace("EchoService/Count", "Count"),
        'services/counter/weft.yaml: calls.echo[0]: "Count" is not matching ^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*/[A-Za-z_][A-Za-z0-9_]*$',
      ],
      ["weft.app.yaml", "name: Demo\n", 'weft.app.yaml: name: "Demo" is not a lowercase identifier ([a-z][a-z0-9-]*)'],
      [
        "weft.app.yaml",
        'name: demo\nedge: { auth: { issuer: i, audience: a, jwks: { rpc: a.B/C, url: "https://x" } } }\n',
        "weft.app.yaml: edge.auth.jwks: must NOT have more than 1 properties",
      ],
      ["weft.app.yaml", "name: demo\nname: again\n", "weft.app.yaml: line 2: Map keys must be unique"],
      ["weft.app.yaml", "- name: demo\n", "weft.app.yaml: (top level): must be object"],
    ])("%s: %j", (file, content, message) => {
      expect(problem(app({ [file]: content }))).toBe(message);
    });
  });
});

describe("findAppRoot", () => {
  it("walks up to the folder holding weft.app.yaml; WEFT_APP_DIR wins", () => {
    const root = app();
    expect(findAppRoot(join(root, "services", "echo"), {})).toBe(root);
    expect(findAppRoot(root, {})).toBe(root);
    const other = app();
    expect(findAppRoot(join(root, "services"), { WEFT_APP_DIR: other })).toBe(other);
  });

  it("not inside an app", () => {
    const outside = appOnDisk({ "README.md": "no app here\n" });
    removers.push(outside.remove);
    expect(() => findAppRoot(outside.root, {})).toThrow(ManifestError);
    expect(() => findAppRoot(outside.root, {})).toThrow(
      `not inside a Weft app: no weft.app.yaml in ${outside.root} or above`,
    );
    expect(() => findAppRoot(app(), { WEFT_APP_DIR: outside.root })).toThrow(
      `not inside a Weft app: WEFT_APP_DIR=${outside.root} holds no weft.app.yaml`,
    );
  });
});

describe("loadContracts", () => {
  it("reads gen/weft.binpb, and says to run weft generate when it is missing or broken", () => {
    const root = app();
    expect(() => loadContracts(root)).toThrow(
      "gen/weft.binpb: missing: run weft generate (buf build -o gen/weft.binpb --exclude-source-info)",
    );
    const set = descriptorSet(file_weft_echo_v1_echo, file_weft_echo_v1_counter, file_weft_echo_v1_events);
    mkdirSync(join(root, "gen"));
    writeFileSync(join(root, "gen/weft.binpb"), toBinary(FileDescriptorSetSchema, set));
    const contracts = loadContracts(root);
    expect(contracts.getService("weft.echo.v1.EchoService")?.methods.map((method) => method.name)).toEqual([
      "Echo",
      "Count",
      "Collect",
      "Chat",
    ]);
    checkAppContracts(loadApp(root), contracts);
    writeFileSync(join(root, "gen/weft.binpb"), "not a descriptor set");
    expect(() => loadContracts(root)).toThrow(/^gen\/weft\.binpb: unreadable: .* \(run weft generate\)$/);
  });
});
