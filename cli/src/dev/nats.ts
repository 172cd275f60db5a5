import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { isListening, waitFor } from "./network.ts";
import { type LineSink, type Supervised, startProcess } from "./processes.ts";

export interface NatsPlan {
  /** Where it listens: reused when something already does, else started there. */
  host: string;
  port: number;
  /** JetStream store for a NATS the launcher starts. */
  storeDir: string;
  /** nats-server configuration for a NATS the launcher starts (its users: `writeNatsAuthorization`). */
  configFile?: string;
}

export type NatsOutcome = { url: string; process: Supervised | undefined };

/** The command that installs NATS on this kind of machine, for the error message. */
export const natsInstallHint =
  "apt-get install -y nats-server   (or see https://docs.nats.io/running-a-nats-service/introduction/installation)";

/**
 * A NATS with JetStream for the platform: the one already listening (a developer's or CI's), or a
 * nats-server started with its store under .data/, or a clear error naming the install command.
 */
export async function provideNats(plan: NatsPlan, sink: LineSink): Promise<NatsOutcome> {
  const url = `nats://${plan.host}:${plan.port}`;
  if (await isListening(plan.host, plan.port)) return { url, process: undefined };
  if (!hasCommand("nats-server")) {
    throw new Error(`no NATS at ${url} and nats-server is not installed; install it with: ${natsInstallHint}`);
  }
  mkdirSync(plan.storeDir, { recursive: true });
  const nats = startProcess(
    {
      name: "nats",
      command: "nats-server",
      // Flags after -c override the file, which holds only the users and their permissions.
      args: [
        ...(plan.configFile ? ["-c", plan.configFile] : []),
        ...["-a", plan.host, "-p", String(plan.port), "-js", "-sd", plan.storeDir],
      ],
      env: {},
    },
    sink,
  );
  if (!(await waitFor(() => isListening(plan.host, plan.port), 10_000))) {
    nats.child.kill("SIGKILL");
    throw new Error(`nats-server did not start listening on ${url}`);
  }
  return { url, process: nats };
}

function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
