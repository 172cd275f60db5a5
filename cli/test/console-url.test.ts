// Where `weft traces`, `weft authz` and `weft events` look for the console.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { consoleUrl, consoleUrlFile } from "../src/console-api.ts";

const app = mkdtempSync(join(tmpdir(), "weft-console-url-"));
writeFileSync(join(app, "weft.app.yaml"), "name: scratch\n");
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe("the console's URL", () => {
  it("is 127.0.0.1:9400, or WEFT_CONSOLE_PORT, when no weft dev recorded one", () => {
    expect(consoleUrl(undefined, { WEFT_APP_DIR: app })).toBe("http://127.0.0.1:9400");
    expect(consoleUrl(undefined, { WEFT_APP_DIR: app, WEFT_CONSOLE_PORT: "9411" })).toBe("http://127.0.0.1:9411");
  });

  it("is the one the running weft dev recorded in its data folder (it may have moved off a taken port)", () => {
    mkdirSync(join(app, ".data"), { recursive: true });
    writeFileSync(consoleUrlFile(join(app, ".data")), "http://localhost:40123\n");
    expect(consoleUrl(undefined, { WEFT_APP_DIR: app })).toBe("http://localhost:40123");
    // WEFT_DATA_DIR moves the data folder, and with it the record.
    expect(consoleUrl(undefined, { WEFT_APP_DIR: app, WEFT_DATA_DIR: "elsewhere" })).toBe("http://127.0.0.1:9400");
  });

  it("is --console, then WEFT_CONSOLE_URL, before any record", () => {
    expect(consoleUrl("http://h:1/", { WEFT_APP_DIR: app, WEFT_CONSOLE_URL: "http://e:2" })).toBe("http://h:1");
    expect(consoleUrl(undefined, { WEFT_APP_DIR: app, WEFT_CONSOLE_URL: "http://e:2/" })).toBe("http://e:2");
  });
});
