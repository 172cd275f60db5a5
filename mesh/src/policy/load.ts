// Reads the policy source of truth from disk: every YAML file under a folder such as istio/.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePolicies } from "./parse.ts";
import type { AuthorizationPolicy } from "./types.ts";

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort(); // a stable order makes decisions and error messages reproducible across machines
}

/** All AuthorizationPolicies in *.yaml / *.yml files under dir, recursively, in path order. */
export function loadPolicies(dir: string): AuthorizationPolicy[] {
  return yamlFilesUnder(dir).flatMap((file) => parsePolicies(readFileSync(file, "utf8"), file));
}
