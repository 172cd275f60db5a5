// The manifests checked against the contracts: the proto descriptors `weft generate` writes to
// gen/weft.binpb (a FileDescriptorSet), so no app code has to be imported to know its RPCs.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createFileRegistry,
  type DescMethod,
  type DescService,
  type FileRegistry,
  fromBinary,
  hasOption,
  type Registry,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ManifestError, manifestProblem } from "./errors.ts";
import { appFileName } from "./find-root.ts";
import type { App } from "./types.ts";

/** Where `weft generate` writes the descriptors, relative to the app root. */
export const contractsFile = "gen/weft.binpb";

/** The app's proto descriptors, from <root>/gen/weft.binpb. */
export function loadContracts(root: string): FileRegistry {
  const file = join(root, contractsFile);
  if (!existsSync(file)) {
    throw new ManifestError(
      `${contractsFile}: missing: run weft generate (buf build -o ${contractsFile} --exclude-source-info)`,
    );
  }
  try {
    return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(file)));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ManifestError(`${contractsFile}: unreadable: ${reason.split("\n")[0]} (run weft generate)`);
  }
}

const relativeFile = (app: App, file: string) => file.slice(app.root.length + 1).replaceAll("\\", "/");
const shortName = (typeName: string) => typeName.slice(typeName.lastIndexOf(".") + 1);

/** `/pkg.Service/Method` → the method's descriptor, or undefined. */
export function methodAt(registry: Registry, path: string): DescMethod | undefined {
  const [, serviceName, methodName] = path.split("/");
  return registry.getService(serviceName ?? "")?.methods.find((method) => method.name === methodName);
}

/**
 * The checks that need the protos: every implemented service, called RPC and event type exists,
 * and the edge's JWKS method is a real RPC. Throws the first problem as a ManifestError.
 */
export function checkAppContracts(app: App, registry: Registry): void {
  for (const service of app.services) {
    const file = relativeFile(app, service.file);
    for (const [index, typeName] of service.implements.entries()) {
      if (registry.getService(typeName) === undefined) {
        throw manifestProblem(file, `implements[${index}]`, `${typeName} is not a service in the protos`);
      }
    }
    for (const call of service.calls) {
      for (const path of call.methods) {
        if (methodAt(registry, path) === undefined) {
          const [, serviceName, methodName] = path.split("/") as [string, string, string];
          throw manifestProblem(
            file,
            `calls.${call.service}`,
            `${shortName(serviceName)}/${methodName} is not an RPC of ${serviceName}`,
          );
        }
      }
    }
    for (const key of ["publishes", "consumes"] as const) {
      for (const [index, typeName] of service[key].entries()) {
        if (registry.getMessage(typeName) === undefined) {
          throw manifestProblem(file, `${key}[${index}]`, `${typeName} is not a message in the protos`);
        }
      }
    }
  }
  const auth = app.manifest.edge.auth;
  if (auth !== undefined && "rpc" in auth.jwks && methodAt(registry, `/${auth.jwks.rpc}`) === undefined) {
    throw manifestProblem(appFileName, "edge.auth.jwks.rpc", `${auth.jwks.rpc} is not an RPC in the protos`);
  }
}

/** The proto services a service implements, as descriptors (checkAppContracts first). */
export function servicesOf(registry: Registry, implemented: readonly string[]): DescService[] {
  return implemented.flatMap((typeName) => {
    const service = registry.getService(typeName);
    return service === undefined ? [] : [service];
  });
}

/** Whether a method carries a google.api.http route, i.e. the edge serves it over REST. */
export function hasHttpRoute(registry: Registry, method: DescMethod): boolean {
  const http = registry.getExtension("google.api.http");
  return http !== undefined && hasOption(method, http);
}
