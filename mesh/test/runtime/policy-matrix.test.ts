import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { create, type DescService, fromBinary, hasOption, toBinary } from "@bufbuild/protobuf";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { gatewayWorkload, servicesOf } from "../../src/app/index.ts";
import { Code, methodsOf, provide, RpcError, type ServiceBinding } from "../../src/index.ts";
import { appWithContracts } from "../support/app.ts";
import { address, TestWorld } from "../support/workloads.ts";

/**
 * The policy matrix: every (caller, method) pair of the app, called for real through mTLS
 * against servers that enforce the istio/ folder. Which pairs must pass is read straight from
 * the manifests (each service's calls:, and the gateway's google.api.http RPCs of edge: true
 * services plus the edge's JWKS method), computed here without the generator under test, so a
 * policy that grants more or less than the manifests declare fails.
 */
const { app, registry } = appWithContracts();
const policyDir = join(app.root, "istio");

/** A binding straight from the descriptors: no generated code, so every service of the app is covered. */
function bindingOf(desc: DescService): ServiceBinding<unknown, unknown> {
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const method of desc.methods) {
    definition[method.localName] = {
      path: `/${desc.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (value: Record<string, unknown>) =>
        Buffer.from(toBinary(method.input, create(method.input, value))),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (value: Record<string, unknown>) =>
        Buffer.from(toBinary(method.output, create(method.output, value))),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.name,
    };
  }
  return { desc, definition };
}

/** app service → its proto services' bindings. */
const services = new Map(
  app.services.map((service) => [service.name, servicesOf(registry, service.implements).map(bindingOf)]),
);
const callers = [gatewayWorkload, ...services.keys(), "intruder"];

/** "caller path" pairs the manifests declare, per callee. */
function declaredPairs(): Map<string, Set<string>> {
  const declared = new Map<string, Set<string>>();
  const add = (callee: string, caller: string, path: string) => {
    declared.set(callee, (declared.get(callee) ?? new Set()).add(`${caller} ${path}`));
  };
  const http = registry.getExtension("google.api.http")!;
  const auth = app.manifest.edge.auth;
  for (const service of app.services) {
    for (const call of service.calls) for (const path of call.methods) add(call.service, service.name, path);
    for (const binding of services.get(service.name)!) {
      for (const method of binding.desc.methods) {
        const path = `/${binding.desc.typeName}/${method.name}`;
        const jwks = auth !== undefined && "rpc" in auth.jwks && `/${auth.jwks.rpc}` === path;
        if ((service.edge && hasOption(method, http)) || jwks) add(service.name, gatewayWorkload, path);
      }
    }
  }
  return declared;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

/** "principal path" pairs the ALLOW policies grant, per workload (app label): only exact values are used. */
function grantedPairs(): Map<string, Set<string>> {
  const granted = new Map<string, Set<string>>();
  for (const file of yamlFiles(policyDir)) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const policy = doc.toJSON();
      if (policy?.kind !== "AuthorizationPolicy" || (policy.spec?.action ?? "ALLOW") !== "ALLOW") continue;
      const app: string | undefined = policy.spec?.selector?.matchLabels?.app;
      if (app === undefined) continue;
      const pairs = granted.get(app) ?? new Set<string>();
      for (const rule of policy.spec.rules ?? []) {
        const principals: string[] = (rule.from ?? []).flatMap(
          (f: { source: { principals?: string[] } }) => f.source.principals ?? [],
        );
        const paths: string[] = (rule.to ?? []).flatMap(
          (t: { operation: { paths?: string[] } }) => t.operation.paths ?? [],
        );
        for (const principal of principals) for (const path of paths) pairs.add(`${principal} ${path}`);
      }
      granted.set(app, pairs);
    }
  }
  return granted;
}

/** Handlers that answer every method with an empty response: only the policy decides. */
function stubHandlers(binding: ServiceBinding<unknown, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    methodsOf(binding).map(([key, method]) => [key, method.responseStream ? async function* () {} : async () => ({})]),
  );
}

const world = new TestWorld("");
const targets = new Map<string, string>();

beforeAll(async () => {
  for (const [name, bindings] of services) {
    const mesh = await world.mesh(name, { policyDir });
    const server = await mesh.serve(bindings.map((binding) => provide(binding, stubHandlers(binding))));
    targets.set(name, address(server.port));
  }
}, 60_000);

afterAll(() => world.close());

type Outcome = "allowed" | "denied";

async function call(
  client: Record<string, (...args: unknown[]) => unknown>,
  key: string,
  streaming: boolean,
): Promise<Outcome> {
  try {
    if (streaming) {
      for await (const _ of client[key]!({}) as AsyncIterable<unknown>) {
        // drain
      }
    } else {
      await client[key]!({});
    }
    return "allowed";
  } catch (error) {
    if (
      error instanceof RpcError &&
      error.code === Code.PERMISSION_DENIED &&
      error.rawMessage === "RBAC: access denied"
    ) {
      return "denied";
    }
    throw error;
  }
}

describe("the istio/ policy matrix, enforced by the local mesh", () => {
  it("the policies grant exactly the pairs the manifests declare", () => {
    const granted = grantedPairs();
    const declared = declaredPairs();
    const principal = (caller: string) => app.spiffeId(caller).slice("spiffe://".length);
    for (const callee of services.keys()) {
      const want = [...(declared.get(callee) ?? [])].map((pair) => {
        const [caller, path] = pair.split(" ");
        return `${principal(caller!)} ${path}`;
      });
      expect([...(granted.get(callee) ?? [])].sort(), `istio/authz/${callee}.yaml`).toEqual(want.sort());
    }
  });

  it("allows exactly the declared (caller, method) pairs and denies every other", async () => {
    const declared = declaredPairs();
    const expected: string[] = [];
    const actual: string[] = [];
    for (const caller of callers) {
      const mesh = await world.mesh(caller, { policyDir });
      for (const [name, bindings] of services) {
        for (const binding of bindings) {
          const client = mesh.connect(binding, { target: targets.get(name)! }) as Record<
            string,
            (...args: unknown[]) => unknown
          >;
          for (const [key, method] of methodsOf(binding)) {
            const want: Outcome = declared.get(name)?.has(`${caller} ${method.path}`) ? "allowed" : "denied";
            expected.push(`${caller} → ${method.path}: ${want}`);
            actual.push(`${caller} → ${method.path}: ${await call(client, key, method.responseStream)}`);
          }
        }
      }
    }
    expect(actual).toEqual(expected);
    // The matrix is not trivially all-denied or all-allowed.
    const allowed = expected.filter((line) => line.endsWith("allowed")).length;
    expect(allowed).toBeGreaterThan(10);
    expect(allowed).toBeLessThan(expected.length / 2);
    expect(expected).toContain("orders → /shop.payments.v1.PaymentService/Charge: allowed");
    expect(expected).toContain("gateway → /shop.payments.v1.PaymentService/Charge: denied");
    expect(expected).toContain("intruder → /shop.identity.v1.IdentityService/GetJwks: denied");
  }, 120_000);
});
