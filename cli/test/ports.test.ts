// `weft dev` refuses to start when a port it must use is taken: one line that names the port, the
// workload and the fix, before any process has started.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadApp } from "@weft/mesh/app";
import { afterAll, describe, expect, it } from "vitest";
import { startPlatform } from "../src/dev/index.ts";

const app = loadApp();
const scratch = mkdtempSync(join(tmpdir(), "weft-ports-"));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(scratch, { recursive: true, force: true });
});

function occupy(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}

describe("weft dev and a port in use", () => {
  it("names the gateway's port and GATEWAY_PORT, and starts nothing", async () => {
    const port = await occupy();
    const dataDir = join(scratch, "gateway");
    const lines: string[] = [];
    await expect(
      startPlatform(app, {
        dataDir,
        gatewayPort: port,
        freeServicePorts: true,
        logs: (_source, line) => lines.push(line),
      }),
    ).rejects.toThrow(new RegExp(`^port ${port} \\(gateway\\) is in use — .*GATEWAY_PORT=<another port>$`));
    // Refused before NATS, PostgreSQL or any bundle: nothing was started or written.
    expect(lines).toEqual([]);
    expect(readdirSync(dataDir).filter((name) => name !== "nats-auth.conf")).not.toContain("postgres");
  });
});
