// Workload bundles: one file that runs on plain Node, whose modules still find the files next to
// them (import.meta.url in TypeScript, __dirname in a CommonJS dependency), whose stack traces
// name the .ts file and line, and which is rebuilt only when an input changed.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleNodeArgs, WorkloadBuilder } from "../src/dev/build.ts";

const root = mkdtempSync(join(tmpdir(), "weft-build-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const files: Record<string, string> = {
  "app/src/main.ts": [
    'import { readFileSync } from "node:fs";',
    'import greeting from "cjs-asset";',
    'import { fail } from "./fail.ts";',
    'const own = readFileSync(new URL("../asset.txt", import.meta.url), "utf8").trim();',
    "console.log(own, greeting);",
    'if (process.argv[2] === "fail") fail("on purpose");',
    "",
  ].join("\n"),
  "app/src/fail.ts": [
    "// A few lines, so the line number is not the first one by chance.",
    "export function fail(reason: string): never {",
    '  const message: string = "failed " + reason;',
    "  throw new Error(message);",
    "}",
    "",
  ].join("\n"),
  "app/asset.txt": "found-by-url\n",
  "app/node_modules/cjs-asset/package.json": JSON.stringify({ name: "cjs-asset", main: "index.js" }),
  "app/node_modules/cjs-asset/index.js":
    'module.exports = require("node:fs").readFileSync(__dirname + "/data.txt", "utf8").trim();\n',
  "app/node_modules/cjs-asset/data.txt": "found-by-dirname\n",
};
for (const [path, text] of Object.entries(files)) {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
}

const outDir = join(root, "build");
const workload = { name: "app", entry: join(root, "app/src/main.ts") };
// Run from elsewhere than the sources, as `weft dev` runs the bundle from .data/build.
const run = (file: string, ...args: string[]) =>
  spawnSync(process.execPath, [...bundleNodeArgs, file, ...args], { cwd: tmpdir(), encoding: "utf8" });

describe("WorkloadBuilder", () => {
  it("bundles a workload that runs on plain Node and finds its own files", async () => {
    const builder = new WorkloadBuilder({ outDir });
    try {
      const [outcome] = await builder.build([workload]);
      expect(outcome!.built).toBe(true);
      const result = run(outcome!.file);
      expect(result.stderr).toBe("");
      expect(result.stdout.trim()).toBe("found-by-url found-by-dirname");
      // One file: neither the TypeScript nor the dependency is loaded from its own place.
      expect(readFileSync(outcome!.file, "utf8")).toContain("function fail(reason)");
    } finally {
      await builder.close();
    }
  });

  it("names the .ts file and line in a stack trace", async () => {
    const builder = new WorkloadBuilder({ outDir });
    try {
      const [outcome] = await builder.build([workload]);
      const result = run(outcome!.file, "fail");
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("Error: failed on purpose");
      expect(result.stderr).toMatch(/app\/src\/fail\.ts:4:\d+/);
      expect(result.stderr).toMatch(/app\/src\/main\.ts:6:\d+/);
    } finally {
      await builder.close();
    }
  });

  it("builds again only when an input changed", async () => {
    const builder = new WorkloadBuilder({ outDir });
    try {
      await builder.build([workload]);
      expect((await builder.build([workload]))[0]!.built).toBe(false);
      // A dependency's file is an input as much as the workload's own.
      writeFileSync(
        join(root, "app/node_modules/cjs-asset/index.js"),
        'module.exports = "changed " + require("node:fs").readFileSync(__dirname + "/data.txt", "utf8").trim();\n',
      );
      const [again] = await builder.build([workload]);
      expect(again!.built).toBe(true);
      expect(run(again!.file).stdout.trim()).toBe("found-by-url changed found-by-dirname");
      // The watch mode's rebuild (an esbuild context) writes the same bundle.
      writeFileSync(join(root, "app/asset.txt"), "edited\n");
      writeFileSync(join(root, "app/src/main.ts"), `${files["app/src/main.ts"]}console.log("rebuilt");\n`);
      const rebuilt = await builder.rebuild(workload);
      expect(run(rebuilt.file).stdout.trim().split("\n")).toEqual(["edited changed found-by-dirname", "rebuilt"]);
    } finally {
      await builder.close();
    }
  });
});
