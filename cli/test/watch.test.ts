// Source watching: a save in one service's folder names that service only, a burst of events is one
// change, and build output, tests and local state are not sources.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isSourceChange, watchSources } from "../src/dev/watch.ts";

const root = mkdtempSync(join(tmpdir(), "weft-watch-"));
for (const folder of ["orders/src", "payments/src", "orders/dist", "orders/test", "proto"]) {
  mkdirSync(join(root, folder), { recursive: true });
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("watchSources", () => {
  it("reports the one target whose sources changed, once per burst", async () => {
    const changes: string[][] = [];
    const watcher = watchSources(
      [
        { name: "orders", folders: [join(root, "orders")] },
        { name: "payments", folders: [join(root, "payments")] },
        { name: "proto", folders: [join(root, "proto"), join(root, "missing")] },
      ],
      (changed) => changes.push([...changed].sort()),
      100,
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (let i = 0; i < 5; i++) writeFileSync(join(root, "orders/src/main.ts"), `// save ${i}\n`);
      writeFileSync(join(root, "orders/dist/main.js"), "// build output\n");
      writeFileSync(join(root, "orders/test/a.test.ts"), "// a test\n");
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(changes).toEqual([["orders"]]);
      writeFileSync(join(root, "proto/a.proto"), 'syntax = "proto3";\n');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(changes).toEqual([["orders"], ["proto"]]);
    } finally {
      watcher.close();
    }
  });

  it("knows what is not a source", () => {
    expect(isSourceChange("src/rpc/handlers.ts")).toBe(true);
    expect(isSourceChange("weft.yaml")).toBe(true);
    for (const path of [
      "dist/main.js",
      "node_modules/x/index.js",
      "test/a.ts",
      "src/a.test.ts",
      ".data/pg",
      "src/a.ts~",
    ]) {
      expect(isSourceChange(path)).toBe(false);
    }
  });
});
