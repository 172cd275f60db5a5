// A deliberately small kustomize: exactly the subset deploy/ (base, overlays, istio) uses, so
// `make manifests` and the validation tests work on a machine without kubectl. Anything outside
// the subset is an error naming the file and the field, never silently skipped: a skipped patch
// or label would render manifests that differ from what `kubectl kustomize` applies.
//
// Supported (see scripts/manifests/README.md):
//   resources   local files (inside the kustomization's folder) and local folders with a kustomization
//   namespace   sets metadata.namespace of namespaced objects (only that field)
//   labels      [{pairs, includeTemplates}] — includeSelectors is refused (selectors are immutable)
//   images      [{name, newName, newTag, digest}] on every containers/initContainers image
//   patches     [{path | patch, target}] — a mapping is a strategic-merge patch, a list is JSON6902

import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: ObjectMeta };

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export class KustomizeError extends Error {
  override name = "KustomizeError";
}

type YamlMap = Record<string, unknown>;

export function isMap(value: unknown): value is YamlMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const supportedFields = new Set(["apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"]);

// Kinds without a namespace: the namespace transformer must leave them alone.
const clusterScoped = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "IngressClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
]);

// The apply order `kubectl kustomize` uses (kustomize's legacy ordering): namespaces and
// identities before what runs as them, workloads after their config.
const kindOrder = [
  "Namespace",
  "ResourceQuota",
  "StorageClass",
  "CustomResourceDefinition",
  "ServiceAccount",
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
  "ConfigMap",
  "Secret",
  "Endpoints",
  "Service",
  "LimitRange",
  "PriorityClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "Deployment",
  "StatefulSet",
  "CronJob",
  "PodDisruptionBudget",
];

/** kind/namespace/name: how kustomize identifies an object (plus the group, which we keep in kind's company). */
export function objectId(object: KubeObject): string {
  const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
  return `${group}/${object.kind}/${object.metadata.namespace ?? "~"}/${object.metadata.name}`;
}

function fail(file: string, message: string): never {
  throw new KustomizeError(`${file}: ${message}`);
}

function readKustomization(dir: string): { file: string; content: YamlMap } {
  const candidates = ["kustomization.yaml", "kustomization.yml", "Kustomization"].map((name) => join(dir, name));
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file === undefined) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const content: unknown = parseYamlDocuments(file)[0] ?? {};
  if (!isMap(content)) fail(file, "must be a mapping");
  for (const key of Object.keys(content)) {
    if (!supportedFields.has(key)) {
      fail(
        file,
        `field "${key}" is not implemented by scripts/manifests (supported: ${[...supportedFields].join(", ")}); ` +
          "use kubectl kustomize or extend the renderer",
      );
    }
  }
  if (content.kind !== undefined && content.kind !== "Kustomization") fail(file, "kind must be Kustomization");
  return { file, content };
}

function parseYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(documents)) return [];
  return documents.flatMap((document, index) => {
    const error = document.errors[0];
    if (error !== undefined) fail(file, `document ${index + 1}: invalid YAML: ${error.message}`);
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

function asObject(value: unknown, file: string): KubeObject {
  if (!isMap(value)) fail(file, "a Kubernetes object must be a mapping");
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") fail(file, "an object needs apiVersion and kind");
  if (!isMap(metadata) || typeof metadata.name !== "string") fail(file, `${kind} needs metadata.name`);
  return value as KubeObject;
}

function loadResources(dir: string, file: string, resources: unknown): KubeObject[] {
  if (resources === undefined) return [];
  if (!Array.isArray(resources)) fail(file, "resources must be a list");
  return resources.flatMap((entry) => {
    if (typeof entry !== "string") fail(file, "resources entries must be strings");
    if (/^[a-z]+:\/\//i.test(entry) || entry.includes("?ref=")) fail(file, `remote resource ${entry} is not supported`);
    const path = resolve(dir, entry);
    if (!existsSync(path)) fail(file, `resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) return renderKustomization(path);
    // kustomize's load restrictor: a file must live inside the kustomization root; other
    // folders are reached only through their own kustomization.
    const inside = relative(dir, path);
    if (inside.startsWith("..") || isAbsolute(inside)) {
      fail(file, `resource file ${entry} is outside the kustomization root; reference its folder instead`);
    }
    return parseYamlDocuments(path).map((document) => asObject(document, path));
  });
}

// ---- patches ----

// Strategic-merge keys for the lists our patches touch. Other lists are replaced whole, as
// strategic merge does for lists without a merge key.
const mergeKeys: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
};

function strategicMerge(base: unknown, patch: unknown, file: string, path: string): unknown {
  if (!isMap(patch) || !isMap(base)) return structuredClone(patch);
  const merged: YamlMap = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) fail(file, `strategic-merge directive ${key} at ${path} is not supported`);
    if (value === null) {
      delete merged[key];
      continue;
    }
    const current = merged[key];
    const mergeKey = mergeKeys[key];
    if (mergeKey !== undefined && Array.isArray(current) && Array.isArray(value)) {
      merged[key] = mergeList(current, value, mergeKey, file, `${path}.${key}`);
    } else {
      merged[key] = strategicMerge(current, value, file, `${path}.${key}`);
    }
  }
  return merged;
}

// As kubectl's strategic merge orders it: the patch's entries first (merged into their base
// entry when the key matches), then the base entries the patch did not mention.
function mergeList(base: unknown[], patch: unknown[], key: string, file: string, path: string): unknown[] {
  const patched = patch.map((item) => {
    if (!isMap(item) || typeof item[key] !== "string") fail(file, `${path}: every entry needs a string "${key}"`);
    const existing = base.find((candidate) => isMap(candidate) && candidate[key] === item[key]);
    return existing === undefined
      ? structuredClone(item)
      : strategicMerge(existing, item, file, `${path}[${key}=${String(item[key])}]`);
  });
  const keys = new Set(patch.map((item) => (isMap(item) ? item[key] : undefined)));
  const untouched = base.filter((item) => !(isMap(item) && keys.has(item[key]))).map((item) => structuredClone(item));
  return [...patched, ...untouched];
}

function pointerTokens(pointer: string, file: string): string[] {
  if (!pointer.startsWith("/")) fail(file, `JSON pointer ${pointer} must start with /`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function applyJson6902(target: KubeObject, operations: unknown[], file: string): KubeObject {
  const root: unknown = structuredClone(target);
  for (const operation of operations) {
    if (!isMap(operation)) fail(file, "a JSON6902 operation must be a mapping");
    const { op, path, value } = operation;
    if (op !== "add" && op !== "remove" && op !== "replace") {
      fail(file, `JSON6902 op ${String(op)} is not supported (add, remove, replace)`);
    }
    if (typeof path !== "string") fail(file, "a JSON6902 operation needs a path");
    const tokens = pointerTokens(path, file);
    const last = tokens.pop();
    if (last === undefined) fail(file, "cannot patch the whole object");
    let parent: unknown = root;
    for (const token of tokens) {
      parent = Array.isArray(parent) ? parent[Number(token)] : isMap(parent) ? parent[token] : undefined;
      if (parent === undefined) fail(file, `JSON6902 ${op} ${path}: ${token} does not exist`);
    }
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length || (op !== "add" && index >= parent.length)) {
        fail(file, `JSON6902 ${op} ${path}: index out of range`);
      }
      if (op === "add") parent.splice(index, 0, structuredClone(value));
      else if (op === "remove") parent.splice(index, 1);
      else parent[index] = structuredClone(value);
    } else if (isMap(parent)) {
      if (op !== "add" && !(last in parent)) fail(file, `JSON6902 ${op} ${path}: ${last} does not exist`);
      if (op === "remove") delete parent[last];
      else parent[last] = structuredClone(value);
    } else {
      fail(file, `JSON6902 ${op} ${path}: parent is not a container`);
    }
  }
  return asObject(root, file);
}

interface Target {
  kind?: string;
  name?: string;
  namespace?: string;
  group?: string;
  version?: string;
}

function parseTarget(value: unknown, file: string): Target | undefined {
  if (value === undefined) return undefined;
  if (!isMap(value)) fail(file, "patch target must be a mapping");
  const known = new Set(["kind", "name", "namespace", "group", "version"]);
  for (const [key, field] of Object.entries(value)) {
    if (!known.has(key)) fail(file, `patch target field "${key}" is not supported (${[...known].join(", ")})`);
    if (typeof field !== "string") fail(file, `patch target ${key} must be a string`);
  }
  return value as Target;
}

function matches(object: KubeObject, target: Target): boolean {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  return (
    (target.kind === undefined || target.kind === object.kind) &&
    (target.name === undefined || target.name === object.metadata.name) &&
    (target.namespace === undefined || target.namespace === object.metadata.namespace) &&
    (target.group === undefined || target.group === group) &&
    (target.version === undefined || target.version === version)
  );
}

function applyPatches(objects: KubeObject[], dir: string, file: string, patches: unknown): KubeObject[] {
  if (patches === undefined) return objects;
  if (!Array.isArray(patches)) fail(file, "patches must be a list");
  let result = objects;
  for (const [index, entry] of patches.entries()) {
    const where = `${file} patches[${index}]`;
    if (!isMap(entry)) fail(where, "must be a mapping");
    for (const key of Object.keys(entry)) {
      if (!["path", "patch", "target"].includes(key))
        fail(where, `field "${key}" is not supported (path, patch, target)`);
    }
    let text: string;
    if (typeof entry.path === "string") text = readFileSync(resolve(dir, entry.path), "utf8");
    else if (typeof entry.patch === "string") text = entry.patch;
    else fail(where, "needs path or patch");
    const documents = parseAllDocuments(text);
    if (!Array.isArray(documents) || documents.length !== 1) fail(where, "must hold exactly one YAML document");
    const body: unknown = documents[0]?.toJS();
    let target = parseTarget(entry.target, where);
    if (Array.isArray(body)) {
      if (target === undefined) fail(where, "a JSON6902 patch needs a target");
    } else if (isMap(body)) {
      const patchObject = asObject(body, where);
      target ??= { kind: patchObject.kind, name: patchObject.metadata.name };
    } else {
      fail(where, "must be a mapping (strategic merge) or a list (JSON6902)");
    }
    const selected = target;
    let hits = 0;
    result = result.map((object) => {
      if (!matches(object, selected)) return object;
      hits += 1;
      if (Array.isArray(body)) return applyJson6902(object, body, where);
      const merged = strategicMerge(object, body, where, object.kind);
      return asObject(merged, where);
    });
    // kustomize errors when a patch matches nothing; a typo in a target must not pass quietly.
    if (hits === 0) fail(where, `matches no resource (${JSON.stringify(selected)})`);
  }
  return result;
}

// ---- namespace, labels, images ----

function setNamespace(objects: KubeObject[], file: string, namespace: unknown): KubeObject[] {
  if (namespace === undefined) return objects;
  if (typeof namespace !== "string" || namespace === "") fail(file, "namespace must be a non-empty string");
  return objects.map((object) =>
    clusterScoped.has(object.kind) ? object : { ...object, metadata: { ...object.metadata, namespace } },
  );
}

const podTemplatePaths: Record<string, string[][]> = {
  Deployment: [["spec", "template"]],
  StatefulSet: [["spec", "template"]],
  DaemonSet: [["spec", "template"]],
  ReplicaSet: [["spec", "template"]],
  Job: [["spec", "template"]],
  CronJob: [["spec", "jobTemplate", "spec", "template"]],
};

function addLabels(objects: KubeObject[], file: string, labels: unknown): KubeObject[] {
  if (labels === undefined) return objects;
  if (!Array.isArray(labels)) fail(file, "labels must be a list");
  let result = objects;
  for (const entry of labels) {
    if (!isMap(entry) || !isMap(entry.pairs)) fail(file, "labels entries need pairs");
    for (const key of Object.keys(entry)) {
      if (!["pairs", "includeSelectors", "includeTemplates"].includes(key))
        fail(file, `labels field ${key} unsupported`);
    }
    // Selectors are immutable on Deployments and StatefulSets: a label added there would make
    // every later apply fail, so the subset refuses it outright.
    if (entry.includeSelectors === true) fail(file, "labels.includeSelectors: true is not supported");
    const pairs = entry.pairs;
    for (const value of Object.values(pairs)) if (typeof value !== "string") fail(file, "label values must be strings");
    const add = pairs as Record<string, string>;
    const templates = entry.includeTemplates === true;
    result = result.map((object) => {
      const copy = structuredClone(object);
      copy.metadata.labels = { ...copy.metadata.labels, ...add };
      if (templates) {
        for (const path of podTemplatePaths[copy.kind] ?? []) {
          let node: unknown = copy;
          for (const key of path) node = isMap(node) ? node[key] : undefined;
          if (!isMap(node)) continue;
          const metadata = isMap(node.metadata) ? node.metadata : {};
          metadata.labels = { ...(isMap(metadata.labels) ? metadata.labels : {}), ...add };
          node.metadata = metadata;
        }
      }
      return copy;
    });
  }
  return result;
}

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

function imageName(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

function rewriteImages(node: unknown, rules: readonly ImageRule[]): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteImages(item, rules);
    return;
  }
  if (!isMap(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === "containers" || key === "initContainers") && Array.isArray(value)) {
      for (const container of value) {
        if (!isMap(container) || typeof container.image !== "string") continue;
        const name = imageName(container.image);
        const rule = rules.find((candidate) => candidate.name === name);
        if (rule === undefined) continue;
        const tag = container.image.slice(name.length);
        const base = rule.newName ?? name;
        container.image =
          rule.digest !== undefined
            ? `${base}@${rule.digest}`
            : rule.newTag !== undefined
              ? `${base}:${rule.newTag}`
              : base + tag;
      }
    } else {
      rewriteImages(value, rules);
    }
  }
}

function setImages(objects: KubeObject[], file: string, images: unknown): KubeObject[] {
  if (images === undefined) return objects;
  if (!Array.isArray(images)) fail(file, "images must be a list");
  const rules = images.map((entry) => {
    if (!isMap(entry) || typeof entry.name !== "string") fail(file, "images entries need a name");
    for (const [key, value] of Object.entries(entry)) {
      if (!["name", "newName", "newTag", "digest"].includes(key)) fail(file, `images field ${key} unsupported`);
      if (typeof value !== "string") fail(file, `images.${key} must be a string (quote numeric tags)`);
    }
    return entry as unknown as ImageRule;
  });
  return objects.map((object) => {
    const copy = structuredClone(object);
    rewriteImages(copy, rules);
    return copy;
  });
}

/** Renders one kustomization folder to its objects, in kustomize's order of transformations. */
export function renderKustomization(dir: string): KubeObject[] {
  const { file, content } = readKustomization(dir);
  let objects = loadResources(dir, file, content.resources);
  const seen = new Set<string>();
  for (const object of objects) {
    const id = objectId(object);
    if (seen.has(id)) fail(file, `${id} is defined twice`);
    seen.add(id);
  }
  objects = applyPatches(objects, dirname(file), file, content.patches);
  objects = setNamespace(objects, file, content.namespace);
  objects = addLabels(objects, file, content.labels);
  objects = setImages(objects, file, content.images);
  return objects;
}

/** Objects in apply order: by kind as kustomize orders them, then by namespace and name. */
export function sortForApply(objects: readonly KubeObject[]): KubeObject[] {
  const rank = (kind: string) => {
    const index = kindOrder.indexOf(kind);
    return index === -1 ? kindOrder.length : index;
  };
  return [...objects].sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

/** Renders an overlay folder, sorted for apply. */
export function render(dir: string): KubeObject[] {
  return sortForApply(renderKustomization(dir));
}
