// `weft new service <name>`: a working service from cli/templates/service — proto, manifest,
// src/{domain,rpc,store,events}, main.ts, a migration, tests — then everything derived from the
// manifests regenerated, so the app runs and tests it with no edit anywhere.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type App, gatewayWorkload, loadApp } from "@weft/mesh/app";
import { UsageError } from "../errors.ts";
import { camelCase, checkName, pascalCase, snakeCase } from "../names.ts";
import { type RenderedFile, renderTemplates, type TemplateValues, templateDir, writeNewFiles } from "./render.ts";

/** The values the service templates use, for service `name` of `app`. */
export function serviceValues(app: App, name: string): TemplateValues {
  const appPackage = snakeCase(app.manifest.name);
  const nameSnake = snakeCase(name);
  const protoDir = `${appPackage}/${nameSnake}/v1`;
  return {
    app: app.manifest.name,
    name,
    Name: pascalCase(name),
    nameCamel: camelCase(name),
    nameSnake,
    protoPackage: `${appPackage}.${nameSnake}.v1`,
    protoDir,
  };
}

/** Refuses a name the app cannot take: not an identifier, the gateway's, or already there. */
export function checkNewService(app: App, name: string): void {
  checkName("service", name);
  if (name === gatewayWorkload)
    throw new UsageError(`${name} is the edge's workload name; choose another service name`);
  if (app.service(name) !== undefined || existsSync(join(app.root, "services", name))) {
    throw new UsageError(`service ${name} already exists (services/${name}/)`);
  }
}

/** Writes the service's files into the app; returns them (paths relative to the app root). */
export function scaffoldService(root: string, name: string): RenderedFile[] {
  const app = loadApp(root);
  checkNewService(app, name);
  const files = renderTemplates(templateDir("service"), serviceValues(app, name));
  const proto = files.find((file) => file.path.startsWith("proto/") && existsSync(join(root, file.path)));
  if (proto !== undefined) throw new UsageError(`${proto.path} already exists; nothing was written`);
  writeNewFiles(root, files);
  return files;
}
