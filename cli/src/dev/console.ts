// The development console `weft dev` serves beside the app (@weft/console). It is a development
// tool only: @weft/cli does not depend on it, so an app that has not installed it runs without one,
// and no image ever contains it.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type App, derivedGrants, gatewayWorkload, loadContracts } from "@weft/mesh/app";
import { consoleUrlFile } from "../console-api.ts";
import type { Platform } from "./platform.ts";
import type { LineSink } from "./processes.ts";
import type { WorkloadState } from "./supervisor.ts";

/** What the launcher uses of the console: where spans go, where lines go, what it shows. */
export interface DevConsole {
  readonly url: string;
  /** OTEL_* variables for every process, so their spans reach the console's receiver. */
  readonly telemetryEnv: Readonly<Record<string, string>>;
  /** The launcher's line sink, teeing every line into the console's log store. */
  tee(sink: LineSink): LineSink;
  /** A supervised workload's state (startPlatform's onState), shown as its health. */
  workloadState(name: string, state: WorkloadState): void;
  /** Once the platform is up: every workload SERVING, and where the gateway, the services and NATS are. */
  platformUp(platform: Platform): void;
  close(): Promise<void>;
}

type HealthState = "starting" | "SERVING" | "NOT_SERVING" | "restarting" | "down";

const healthOf = {
  starting: "starting",
  running: "SERVING",
  restarting: "restarting",
  crashed: "down",
  stopped: "down",
} as const satisfies Record<WorkloadState, HealthState>;

/** The part of @weft/console's API the launcher uses (the package is optional, so not imported for types). */
interface ConsoleModule {
  startConsole(options: {
    dataDir: string;
    port: number;
    app: App;
    grants: ReturnType<typeof derivedGrants>;
    descriptors: string;
    identity: { caDir: string; policyDir: string };
  }): Promise<{
    url: string;
    telemetryEnv: Readonly<Record<string, string>>;
    ingestLog(process: string, line: string, stream?: "stdout" | "stderr"): void;
    setHealth(name: string, state: HealthState): void;
    update(targets: Record<string, unknown>): void;
    close(): Promise<void>;
  }>;
}

export interface DevConsoleOptions {
  app: App;
  /** The launcher's data folder: history under console/, the CA under mesh/. */
  dataDir: string;
  port: number;
}

/**
 * Starts the console when @weft/console is installed; undefined (and a reason) when it is not.
 * A console that fails to start is reported and skipped: the app still runs.
 */
export async function startDevConsole(
  options: DevConsoleOptions,
): Promise<{ console: DevConsole | undefined; note: string | undefined }> {
  // A specifier in a variable: the package is looked up when weft dev runs, not when the CLI is built.
  const specifier = "@weft/console";
  let module: ConsoleModule;
  try {
    module = (await import(specifier)) as ConsoleModule;
  } catch {
    return { console: undefined, note: "no console: @weft/console is not installed (npm install -D @weft/console)" };
  }
  const { app } = options;
  const registry = loadContracts(app.root);
  const grants = derivedGrants(app, registry);
  const started = await module.startConsole({
    dataDir: join(options.dataDir, "console"),
    port: options.port,
    app,
    grants,
    descriptors: join(app.root, "gen", "weft.binpb"),
    identity: { caDir: join(options.dataDir, "mesh"), policyDir: join(app.root, "istio") },
  });
  // Where `weft traces`, `weft authz` and `weft events` find it, also when 9400 was taken.
  const urlFile = consoleUrlFile(options.dataDir);
  writeFileSync(urlFile, `${started.url}\n`);
  return {
    note: undefined,
    console: {
      url: started.url,
      telemetryEnv: started.telemetryEnv,
      tee: (sink) => (name, line, stream) => {
        started.ingestLog(name, line, stream);
        sink(name, line, stream);
      },
      workloadState: (name, state) => started.setHealth(name, healthOf[state]),
      platformUp: (platform) => {
        for (const name of [...app.services.map((s) => s.name), gatewayWorkload]) started.setHealth(name, "SERVING");
        started.update({
          gatewayUrl: platform.gatewayUrl,
          natsUrl: platform.natsUrl,
          natsCredentials: platform.consoleNatsCredentials,
          addresses: platform.addresses,
          app,
          grants,
        });
      },
      close: async () => {
        rmSync(urlFile, { force: true });
        await started.close();
      },
    },
  };
}
