import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const gen = fileURLToPath(new URL("./gen/", import.meta.url));

export default defineConfig({
  resolve: {
    // Generated code lives in the ignored gen/ folder; everything imports it as @weft/gen/...
    alias: [{ find: /^@weft\/gen\//, replacement: gen }],
  },
  test: {
    include: ["{mesh,gateway,console,services,scripts,deploy}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.data/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers; two cores run at most two files at once.
    maxWorkers: 2,
  },
});
