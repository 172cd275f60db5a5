// Path variables → request fields, applied after the body. A body that sets a path-bound field to
// a different value is INVALID_ARGUMENT naming the field, rather than either side silently winning:
// `POST /v1/invoices/A:cancel {"id":"B"}` must never act on B. The same value, or none, is fine.
import { fromJson, type Message, mergeFromJson, type Registry } from "@bufbuild/protobuf";
import type { FieldViolation } from "@weft/mesh";
import { nestJson } from "./field-path.ts";
import { describeJsonError } from "./json-violation.ts";
import { readSetLeaf, sameLeafValue } from "./leaf-value.ts";
import { decodeCapturedValue } from "./path-match.ts";
import type { RouteMatch } from "./router.ts";
import { textToJson } from "./text-value.ts";

/** Merges the path variables into `message`; returns what was wrong with them. */
export function decodePath(match: RouteMatch, message: Message, registry: Registry | undefined): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const schema = match.route.method.input;
  for (const binding of match.route.pathBindings) {
    const captured = match.captured.find((candidate) => candidate.variable === binding.variable);
    const leaf = binding.fields.at(-1);
    if (captured === undefined || leaf === undefined) continue;
    const field = binding.fieldPath;
    const text = decodeCapturedValue(captured.rawValue, binding.variable.multiSegment);
    if (text === undefined) {
      violations.push({ field, description: "malformed percent-encoding in the URL path" });
      continue;
    }
    if (binding.direct !== undefined) {
      if (!binding.direct(message, text)) violations.push({ field, description: disagreement(text) });
      continue;
    }
    const conversion = textToJson(leaf, text);
    if (!conversion.ok) {
      violations.push({ field, description: conversion.reason });
      continue;
    }
    const nested = nestJson(binding.fields, conversion.json);
    let fromPath: Message;
    try {
      fromPath = fromJson(schema, nested, { registry });
    } catch (error) {
      violations.push({ field, description: describeJsonError(error) });
      continue;
    }
    const fromBody = readSetLeaf(schema, message, binding.fields);
    if (fromBody !== undefined && !sameLeafValue(leaf, fromBody, readSetLeaf(schema, fromPath, binding.fields))) {
      violations.push({ field, description: disagreement(text) });
      continue;
    }
    try {
      mergeFromJson(schema, message, nested, { registry });
    } catch (error) {
      violations.push({ field, description: describeJsonError(error) });
    }
  }
  return violations;
}

function disagreement(text: string): string {
  return `the request body disagrees with the URL path value "${text}"`;
}
