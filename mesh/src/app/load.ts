// Loads an app: weft.app.yaml plus every services/<name>/weft.yaml, schema-validated, defaults
// applied, and the checks that need no protos (names, references between manifests, ports).
// The proto cross-checks are checkAppContracts (contracts.ts).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { manifestProblem } from "./errors.ts";
import { appFileName, findAppRoot, serviceFileName } from "./find-root.ts";
import { parseManifest } from "./schema.ts";
import type { App, AppManifest, Call, ServiceManifest } from "./types.ts";

/** The first port auto-assigned to a service without one under weft dev. */
export const firstServicePort = 50051;

interface RawApp {
  name: string;
  trustDomain?: string;
  namespace?: string;
  edge?: { port?: number; auth?: AppManifest["edge"]["auth"] };
  dev?: { seed?: string };
}

interface RawService {
  name: string;
  port?: number;
  implements: string[];
  database?: boolean;
  edge?: boolean;
  calls?: Record<string, string[]>;
  publishes?: string[];
  consumes?: string[];
  settings?: Record<string, string>;
  devSettings?: Record<string, string>;
}

/** A file's path as messages show it: relative to the app root, with forward slashes. */
function shown(root: string, file: string): string {
  return relative(root, file).split(sep).join("/");
}

const shortName = (typeName: string) => typeName.slice(typeName.lastIndexOf(".") + 1);

export function loadApp(from: string = findAppRoot()): App {
  const root = resolve(from);
  const appFile = join(root, appFileName);
  const raw = parseManifest("app", readFileSync(appFile, "utf8"), appFileName) as RawApp;
  const manifest: AppManifest = {
    name: raw.name,
    trustDomain: raw.trustDomain ?? "cluster.local",
    namespace: raw.namespace ?? raw.name,
    edge: { port: raw.edge?.port ?? 8080, auth: raw.edge?.auth },
    dev: { seed: raw.dev?.seed },
  };

  const servicesDir = join(root, "services");
  const folders = existsSync(servicesDir)
    ? readdirSync(servicesDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(servicesDir, entry.name, serviceFileName)))
        .map((entry) => entry.name)
        .sort()
    : [];
  const raws = folders.map((folder) => {
    const file = join(servicesDir, folder, serviceFileName);
    const service = parseManifest("service", readFileSync(file, "utf8"), shown(root, file)) as RawService;
    if (service.name !== folder) {
      throw manifestProblem(shown(root, file), "name", `${service.name} must equal its folder name ${folder}`);
    }
    if (service.name === "gateway") {
      throw manifestProblem(shown(root, file), "name", "gateway is the edge's workload name and cannot be a service");
    }
    return { raw: service, file, shownFile: shown(root, file) };
  });

  // Which service implements each proto service: calls name an upstream by service, its RPCs by proto service.
  const implementer = new Map<string, string>();
  for (const { raw: service, shownFile } of raws) {
    for (const [index, typeName] of service.implements.entries()) {
      const other = implementer.get(typeName);
      if (other !== undefined) {
        throw manifestProblem(shownFile, `implements[${index}]`, `${typeName} is already implemented by ${other}`);
      }
      implementer.set(typeName, service.name);
    }
  }

  const byName = new Map(raws.map(({ raw: service }) => [service.name, service]));
  const calls = (service: RawService, shownFile: string): Call[] =>
    Object.entries(service.calls ?? {}).map(([upstream, rpcs]) => {
      const target = byName.get(upstream);
      if (target === undefined) {
        throw manifestProblem(
          shownFile,
          `calls.${upstream}`,
          `${upstream} is not a service of this app (services: ${[...byName.keys()].join(", ") || "none"})`,
        );
      }
      if (upstream === service.name)
        throw manifestProblem(shownFile, `calls.${upstream}`, "a service does not call itself");
      return {
        service: upstream,
        methods: rpcs.map((rpc) => {
          const [protoService, method] = rpc.split("/") as [string, string];
          const matches = target.implements.filter(
            (typeName) => typeName === protoService || shortName(typeName) === protoService,
          );
          if (matches.length !== 1) {
            throw manifestProblem(
              shownFile,
              `calls.${upstream}`,
              `${rpc}: ${protoService} is not a proto service ${upstream} implements (${target.implements.join(", ")})`,
            );
          }
          return `/${matches[0]}/${method}`;
        }),
      };
    });

  // Every consumed event needs a publisher in the app: otherwise the consumer waits forever.
  const publishers = new Map<string, string>();
  for (const { raw: service } of raws) for (const type of service.publishes ?? []) publishers.set(type, service.name);
  for (const { raw: service, shownFile } of raws) {
    for (const [index, type] of (service.consumes ?? []).entries()) {
      if (!publishers.has(type)) {
        throw manifestProblem(shownFile, `consumes[${index}]`, `${type} is published by no service of this app`);
      }
    }
  }

  const ports = resolvePorts(raws, manifest.edge.port);
  const services: ServiceManifest[] = raws.map(({ raw: service, file, shownFile }) => ({
    name: service.name,
    file,
    dir: join(servicesDir, service.name),
    port: ports.get(service.name)!,
    implements: service.implements,
    database: service.database ?? false,
    edge: service.edge ?? false,
    calls: calls(service, shownFile),
    publishes: service.publishes ?? [],
    consumes: service.consumes ?? [],
    settings: service.settings ?? {},
    devSettings: service.devSettings ?? {},
  }));

  const jwksRpc =
    manifest.edge.auth !== undefined && "rpc" in manifest.edge.auth.jwks ? manifest.edge.auth.jwks.rpc : undefined;
  if (jwksRpc !== undefined && !implementer.has(jwksRpc.split("/")[0]!)) {
    throw manifestProblem(
      appFileName,
      "edge.auth.jwks.rpc",
      `${jwksRpc.split("/")[0]} is implemented by no service of this app`,
    );
  }

  const byNameResolved = new Map(services.map((service) => [service.name, service]));
  return {
    root,
    file: appFile,
    manifest,
    services,
    service: (name) => byNameResolved.get(name),
    spiffeId: (workload) => `spiffe://${manifest.trustDomain}/ns/${manifest.namespace}/sa/${workload}`,
  };
}

/** Declared ports must be distinct (and not the edge's); the others get the next free one from 50051. */
function resolvePorts(raws: readonly { raw: RawService; shownFile: string }[], edgePort: number): Map<string, number> {
  const taken = new Map<number, string>([[edgePort, "the edge"]]);
  const ports = new Map<string, number>();
  for (const { raw: service, shownFile } of raws) {
    if (service.port === undefined) continue;
    const other = taken.get(service.port);
    if (other !== undefined)
      throw manifestProblem(shownFile, "port", `${service.port} is already the port of ${other}`);
    taken.set(service.port, service.name);
    ports.set(service.name, service.port);
  }
  let next = firstServicePort;
  for (const { raw: service } of raws) {
    if (ports.has(service.name)) continue;
    while (taken.has(next)) next++;
    taken.set(next, service.name);
    ports.set(service.name, next);
  }
  return ports;
}
