// Validates the raw YAML of a manifest against the JSON Schemas shipped in mesh/schema/ (the same
// files editors use through `# yaml-language-server: $schema=…`), reporting the first problem as
// one ManifestError line.

import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { LineCounter, parseDocument } from "yaml";
import { manifestProblem } from "./errors.ts";

const schemaDir = new URL("../../schema/", import.meta.url);

function compile(file: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: false, strict: true, verbose: true });
  return ajv.compile(JSON.parse(readFileSync(new URL(file, schemaDir), "utf8")) as object);
}

let validators: { app: ValidateFunction; service: ValidateFunction } | undefined;
function validatorsOnce() {
  validators ??= { app: compile("weft.app.schema.json"), service: compile("weft.service.schema.json") };
  return validators;
}

/** `/calls/billing/0` → `calls.billing[0]`. */
function entryOf(pointer: string, child?: string): string {
  const segments = pointer
    .split("/")
    .slice(1)
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (child !== undefined) segments.push(child);
  let entry = "";
  for (const segment of segments)
    entry += /^\d+$/.test(segment) ? `[${segment}]` : entry === "" ? segment : `.${segment}`;
  return entry === "" ? "(top level)" : entry;
}

const friendlyPatterns: Record<string, string> = {
  "^[a-z][a-z0-9-]*$": "a lowercase identifier ([a-z][a-z0-9-]*)",
  "^[A-Z_][A-Z0-9_]*$": "an environment variable name ([A-Z_][A-Z0-9_]*)",
};

function describeError(error: ErrorObject, data: unknown): { entry: string; problem: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { entry: entryOf(error.instancePath, String(params.missingProperty)), problem: "is required" };
    case "additionalProperties": {
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        entry: entryOf(error.instancePath, String(params.additionalProperty)),
        problem: `is not a known field${allowed.length > 0 ? ` (known: ${allowed.join(", ")})` : ""}`,
      };
    }
    case "propertyNames":
    case "pattern": {
      const name = error.propertyName ?? params.propertyName;
      const pattern = String(params.pattern ?? "");
      const entry = entryOf(error.instancePath, typeof name === "string" ? name : undefined);
      const value = typeof name === "string" ? name : valueAt(data, error.instancePath);
      return {
        entry,
        problem: `${JSON.stringify(value)} is not ${friendlyPatterns[pattern] ?? `matching ${pattern}`}`,
      };
    }
    default: {
      const value = valueAt(data, error.instancePath);
      const got = value === undefined || typeof value === "object" ? "" : ` (got ${JSON.stringify(value)})`;
      return { entry: entryOf(error.instancePath), problem: `${error.message ?? "is invalid"}${got}` };
    }
  }
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const segment of pointer.split("/").slice(1)) {
    node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}

/** Parses YAML and validates it against the app or the service schema; throws ManifestError. */
export function parseManifest(kind: "app" | "service", text: string, file: string): unknown {
  const lines = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  const [first] = document.errors;
  if (first !== undefined) {
    throw manifestProblem(file, `line ${lines.linePos(first.pos[0]).line}`, first.message.split("\n")[0]!);
  }
  const data: unknown = document.toJS() ?? {};
  const validate = validatorsOnce()[kind];
  if (!validate(data)) {
    const error = validate.errors?.find((candidate) => candidate.keyword !== "propertyNames") ?? validate.errors?.[0];
    const { entry, problem } =
      error === undefined ? { entry: "(top level)", problem: "is invalid" } : describeError(error, data);
    throw manifestProblem(file, entry, problem);
  }
  return data;
}
