import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { OpenApiDocument } from "../../src/codegen/openapi/openapi-types.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "weft-openapi-gen-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface PluginEntry {
  local?: string | string[];
  out: string;
  [key: string]: unknown;
}

/**
 * `make generate` runs `buf generate` with buf.gen.yaml. Running that whole file would clean
 * and rewrite gen/ under other tests' feet, so this runs buf.gen.yaml's own inputs and its own
 * OpenAPI plugin entry, unchanged except for `out`, into a scratch directory.
 */
function generateWithRepositoryConfig(): string {
  const config = parse(readFileSync(join(root, "buf.gen.yaml"), "utf8")) as {
    inputs: unknown[];
    plugins: PluginEntry[];
  };
  const entries = config.plugins.filter((p) =>
    [p.local].flat().some((part) => part?.endsWith("protoc-gen-weft-openapi.ts")),
  );
  expect(entries).toHaveLength(1);
  const [entry] = entries;
  if (entry === undefined) throw new Error("no OpenAPI plugin entry in buf.gen.yaml");
  expect(entry.out).toBe("gen/openapi");
  expect(entry.strategy).toBe("all");
  const out = join(scratch, "openapi");
  const template = join(scratch, "buf.gen.yaml");
  writeFileSync(template, stringify({ version: "v2", inputs: config.inputs, plugins: [{ ...entry, out }] }));
  execFileSync(join(root, "node_modules/.bin/buf"), ["generate", "--template", template], { cwd: root });
  return join(out, "weft.openapi.json");
}

describe("buf.gen.yaml's OpenAPI entry", () => {
  it("writes gen/openapi/weft.openapi.json for the shop only", () => {
    const file = generateWithRepositoryConfig();
    expect(existsSync(file)).toBe(true);
    const doc = JSON.parse(readFileSync(file, "utf8")) as OpenApiDocument;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "Weft shop API", version: "v1" });
    expect(doc.paths["/v1/orders"]?.post?.operationId).toBe("OrderService_PlaceOrder");
    const tags = doc.tags.map((t) => t.name);
    expect(tags).toContain("CatalogService");
    // The fixtures input (weft.echo, weft.transcode, …) and googleapis are not part of it.
    expect(Object.keys(doc.components.schemas).every((n) => n.startsWith("shop.") || n.startsWith("google."))).toBe(
      true,
    );
  }, 60_000);
});
