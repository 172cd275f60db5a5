// A private nats-server with JetStream on a free port and its own store, for tests that must not
// see (or leave) streams on the machine's shared NATS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, isListening, type Supervised, startProcess, stopProcesses, waitFor } from "@weft/cli/dev";

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

export async function startPrivateNats(): Promise<PrivateNats> {
  const dir = mkdtempSync(join(tmpdir(), "console-nats-"));
  const port = await freePort();
  const nats: Supervised = startProcess(
    { name: "nats", command: "nats-server", args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], env: {} },
    () => {},
  );
  if (!(await waitFor(() => isListening("127.0.0.1", port), 10_000))) throw new Error("nats-server did not start");
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      await stopProcesses([nats], 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
