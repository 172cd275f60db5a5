import type { Logger } from "@weft/mesh";
import { describe, expect, it } from "vitest";
import { EdgeLog } from "../../src/edge/edge-log.ts";

function recorder() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, logger: { warn: at("warn"), debug: at("debug"), error: at("error") } as unknown as Logger };
}

describe("the edge's log of limits it enforced", () => {
  it("writes one warn line per event and interval, then says how many it suppressed", () => {
    const { lines, logger } = recorder();
    let now = 0;
    const log = new EdgeLog(logger, 1_000, () => now);
    for (let i = 0; i < 50; i++) log.report("headers_timeout", { client: "198.51.100.1" }, "408");
    log.report("write_timeout", { client: "198.51.100.2" }, "cut");
    now = 1_000;
    log.report("headers_timeout", { client: "198.51.100.3" }, "408");
    expect(lines.map((l) => [l.level, l.fields.event, l.fields.suppressed])).toEqual([
      ["warn", "headers_timeout", undefined],
      ["warn", "write_timeout", undefined],
      ["warn", "headers_timeout", 49],
    ]);
    expect(lines.every((l) => l.level !== "error")).toBe(true);
  });

  it("logs routine closes (keep-alive, idle HTTP/2) at debug only", () => {
    const { lines, logger } = recorder();
    const log = new EdgeLog(logger);
    log.report("keepalive_timeout", {}, "idle");
    log.report("http2_idle_timeout", {}, "idle");
    expect(lines.map((l) => l.level)).toEqual(["debug", "debug"]);
  });
});
