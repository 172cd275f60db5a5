import { credentials } from "@grpc/grpc-js";
import type { Logger } from "@weft/mesh";
import { describe, expect, it } from "vitest";
import { Readiness } from "../../src/routes/health.ts";

const quiet = { warn() {} } as unknown as Logger;
const targets = new Map([
  ["shop.a.v1.AService", "10.0.0.1:50051"],
  ["shop.b.v1.BService", "10.0.0.2:50051"],
]);

describe("/readyz's check", () => {
  it("asks each upstream once for a flood of callers, and again only after the reuse window", async () => {
    const asked: string[] = [];
    const probe = async (target: string) => {
      asked.push(target);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return "SERVING";
    };
    const readiness = new Readiness(targets, credentials.createInsecure(), quiet, 200, probe);
    const verdicts = await Promise.all(Array.from({ length: 100 }, () => readiness.ready()));
    expect(verdicts.every((v) => v)).toBe(true);
    expect(await readiness.ready()).toBe(true);
    expect(asked).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await readiness.ready();
    expect(asked).toHaveLength(4);
  });

  it("is not ready when one upstream is not serving, and logs which one and where", async () => {
    const logged: unknown[] = [];
    const logger = { warn: (fields: unknown) => logged.push(fields) } as unknown as Logger;
    const probe = async (target: string) => (target === "10.0.0.2:50051" ? "UNREACHABLE" : "SERVING");
    const readiness = new Readiness(targets, credentials.createInsecure(), logger, 0, probe);
    expect(await readiness.ready()).toBe(false);
    expect(logged).toEqual([
      { upstreams: [{ name: "shop.b.v1.BService", target: "10.0.0.2:50051", status: "UNREACHABLE" }] },
    ]);
  });
});
