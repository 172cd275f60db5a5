// deploy/overlays: hand-written environments, with the two parts that follow the workload list
// kept in step by the generator — each overlay's `images:` entries (one per workload, following
// the registry and tag of the entries already there), and, for an overlay that runs its own
// PostgreSQL (its kustomization lists databases.yaml), one role, database and Secret per
// service with database: true.

import { type App, ManifestError } from "@weft/mesh/app";
import { parse } from "yaml";
import { generatedHeader, quoted } from "./header.ts";
import { databaseSecret, imageOf } from "./kustomize.ts";
import { workloadNames } from "./workloads.ts";

/** The file an overlay lists to get per-service databases in its own PostgreSQL. */
export const databasesFile = "databases.yaml";
/** Where an overlay's in-cluster PostgreSQL and NATS run (its hand-written data.yaml defines them). */
export const dataNamespace = (app: App) => `${app.manifest.namespace}-data`;

interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** An entry for `workload` that follows `pattern` (same registry prefix, same tag). */
function followPattern(workload: string, pattern: ImageEntry): string {
  const fields = [`name: ${imageOf(workload)}`];
  if (pattern.newName !== undefined) {
    const prefix = pattern.newName.endsWith(pattern.name) ? pattern.newName.slice(0, -pattern.name.length) : undefined;
    if (prefix !== undefined) fields.push(`newName: ${prefix}${imageOf(workload)}`);
  }
  if (pattern.newTag !== undefined) fields.push(`newTag: ${quoted(pattern.newTag)}`);
  return `  - { ${fields.join(", ")} }`;
}

/**
 * The overlay's kustomization with its `images:` block holding exactly one entry per workload:
 * existing entries kept as written, missing ones added after the first entry's pattern,
 * entries for workloads that are gone dropped. Throws when the overlay has no images: block.
 */
export function syncOverlayImages(app: App, path: string, text: string): string {
  const lines = text.split("\n");
  const start = lines.indexOf("images:");
  if (start === -1) throw new ManifestError(`${path}: images: missing (one entry per workload is kept here)`);
  let end = start + 1;
  while (end < lines.length && /^\s+(-|#)/.test(lines[end]!)) end++;
  const existing = new Map<string, { line: string; entry: ImageEntry }>();
  for (const line of lines.slice(start + 1, end)) {
    if (line.trim().startsWith("#")) continue;
    const [entry] = parse(line.trim().replace(/^-\s*/, "- ")) as ImageEntry[];
    if (entry !== undefined) existing.set(entry.name, { line, entry });
  }
  const pattern = existing.values().next().value?.entry ?? { name: "" };
  const entries = workloadNames(app).map(
    (workload) => existing.get(imageOf(workload))?.line ?? followPattern(workload, pattern),
  );
  return [
    ...lines.slice(0, start + 1),
    "  # One entry per workload (services/*/weft.yaml and the gateway), kept by weft manifests.",
    ...entries,
    ...lines.slice(end),
  ].join("\n");
}

const sqlName = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : quoted(name));

/** An overlay's databases.yaml: PostgreSQL's init script (one role and database per service) and the Secrets. */
export function renderDatabases(app: App): string {
  const services = app.services.filter((service) => service.database);
  const data = dataNamespace(app);
  const init = services.map(
    (s) => `    CREATE ROLE ${sqlName(s.name)} LOGIN; CREATE DATABASE ${sqlName(s.name)} OWNER ${sqlName(s.name)};`,
  );
  const secrets = services.map(
    (s) => `---
apiVersion: v1
kind: Secret
metadata: { name: ${databaseSecret(s.name)}, namespace: ${app.manifest.namespace} }
type: Opaque
stringData: { url: ${quoted(`postgres://${s.name}@postgres.${data}.svc.cluster.local:5432/${s.name}`)} }`,
  );
  return `${generatedHeader("services/*/weft.yaml (database: true)")}# One role and one database per service in this overlay's own PostgreSQL (data.yaml), so the
# services' isolation holds here too. It trusts connections from inside the cluster, so the URLs
# carry no password: nothing secret is committed.
apiVersion: v1
kind: ConfigMap
metadata: { name: postgres-init, namespace: ${data} }
data:
  init.sql: |
${init.length === 0 ? "    SELECT 1;" : init.join("\n")}
${secrets.join("\n")}
`;
}

/**
 * The overlays' generated parts, by path relative to the app root: each kustomization.yaml with
 * its images: synced, and databases.yaml for the overlays that list it. `overlays` maps each
 * overlay's kustomization.yaml path to its current text.
 */
export function renderOverlays(app: App, overlays: ReadonlyMap<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const [path, text] of overlays) {
    files.set(path, syncOverlayImages(app, path, text));
    const resources = (parse(text) as { resources?: unknown } | null)?.resources;
    if (Array.isArray(resources) && resources.includes(databasesFile)) {
      files.set(path.replace(/kustomization\.yaml$/, databasesFile), renderDatabases(app));
    }
  }
  return files;
}
