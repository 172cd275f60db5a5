// `weft dev`: the whole app on this machine — NATS, every service, the gateway — until Ctrl-C.
import { resolve } from "node:path";
import { boolean, ConfigError, integer, readSettings, text } from "@weft/mesh";
import { type App, checkAppContracts, loadContracts } from "@weft/mesh/app";
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { type DevConsole, startDevConsole } from "../dev/console.ts";
import { type Platform, prettyLines, runSeed, startPlatform } from "../dev/index.ts";
import { watchPlatform } from "../dev/watch.ts";
import { UsageError } from "../errors.ts";

export interface DevSettings {
  gatewayPort: number;
  pgUrl: string;
  dataDir: string;
  databasePrefix: string;
  freePorts: boolean;
  /** The development console's port (WEFT_CONSOLE_PORT); WEFT_CONSOLE=false runs without it. */
  consolePort: number;
  console: boolean;
  /** The embedded PostgreSQL's port (WEFT_PG_PORT); 0: a free one. */
  pgPort: number;
  /** Rebuild and restart what a source change concerns (WEFT_WATCH=false turns it off). */
  watch: boolean;
}

function devSettings(app: App): DevSettings {
  try {
    return readSettings<DevSettings>({
      gatewayPort: ["GATEWAY_PORT", integer(app.manifest.edge.port, 0, 65535)],
      pgUrl: ["PG_URL", text("", /^postgres(ql)?:\/\/.+/, "a postgres:// URL")],
      dataDir: ["WEFT_DATA_DIR", text(".data")],
      databasePrefix: [
        "WEFT_DATABASE_PREFIX",
        text(app.manifest.name.replaceAll("-", "_"), /^[a-z_][a-z0-9_]*$/, "a lowercase SQL name"),
      ],
      // Services on free ports instead of their manifests' (tests, or a second app running at once).
      freePorts: ["WEFT_FREE_PORTS", boolean(false)],
      consolePort: ["WEFT_CONSOLE_PORT", integer(9400, 0, 65535)],
      console: ["WEFT_CONSOLE", boolean(true)],
      pgPort: ["WEFT_PG_PORT", integer(0, 0, 65535)],
      watch: ["WEFT_WATCH", boolean(true)],
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function summary(platform: Platform, settings: DevSettings, console: DevConsole | undefined): string {
  const url = platform.gatewayUrl.replace("127.0.0.1", "localhost");
  const rows: Array<[string, string]> = [
    ["REST / Connect / gRPC-Web / gRPC", url],
    ...(console
      ? [["Console (traces, policy, events)", console.url.replace("127.0.0.1", "localhost")] as [string, string]]
      : []),
    ["OpenAPI document", `${url}/openapi.json`],
    ["Health / readiness", `${url}/healthz  ${url}/readyz`],
    ...platform.app.services.map((s): [string, string] => [`${s.name} (gRPC, mTLS)`, platform.addresses[s.name]!]),
    [
      "Databases",
      settings.pgUrl
        ? `PostgreSQL at PG_URL: ${settings.databasePrefix}_<service>`
        : `embedded PostgreSQL under ${settings.dataDir}/postgres: ${settings.databasePrefix}_<service>, a role each`,
    ],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return [
    "",
    `${platform.app.manifest.name} is up.`,
    "",
    ...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`),
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n");
}

const usage = "";

export const devCommand: Command = {
  name: "dev",
  usage,
  summary:
    "start NATS, every service and the gateway locally (GATEWAY_PORT, PG_URL, WEFT_DATA_DIR, WEFT_DATABASE_PREFIX, WEFT_FREE_PORTS); Ctrl-C stops",
  async run(args) {
    expectPositionals(parse(args, {}, "weft dev").positionals, 0, "weft dev");
    const app = currentApp();
    checkAppContracts(app, loadContracts(app.root));
    const settings = devSettings(app);
    const say = (line: string) => process.stdout.write(`\x1b[1m▸ ${line}\x1b[0m\n`);
    const pretty = await prettyLines([...app.services.map((s) => s.name), "gateway", "nats", "seed"]);
    const dataDir = resolve(app.root, settings.dataDir);
    const { console, note } = settings.console
      ? await startDevConsole({ app, dataDir, port: settings.consolePort })
      : { console: undefined, note: undefined };
    if (note) say(note);
    const logs = console ? console.tee(pretty) : pretty;
    // Ctrl-C (or SIGTERM) at any point stops everything: during the start it is noted and acted
    // on as soon as the platform is up (a terminal's Ctrl-C reaches the children directly anyway).
    const stopped = new Promise<NodeJS.Signals>((done) => {
      process.once("SIGINT", () => done("SIGINT"));
      process.once("SIGTERM", () => done("SIGTERM"));
    });
    let platform: Platform;
    try {
      platform = await startPlatform(app, {
        dataDir,
        // Every process sends its spans to the console's OTLP receiver.
        ...(console ? { env: { ...console.telemetryEnv } } : {}),
        gatewayPort: settings.gatewayPort,
        pgUrl: settings.pgUrl || undefined,
        databasePrefix: settings.databasePrefix,
        freeServicePorts: settings.freePorts,
        ...(settings.pgPort === 0 ? {} : { embeddedPgPort: settings.pgPort }),
        logs,
        progress: say,
        onState: (name, state) => console?.workloadState(name, state),
      });
    } catch (error) {
      await console?.close();
      throw error;
    }
    try {
      console?.platformUp(platform);
      if (await runSeed(platform, logs)) say(`seeded (${app.manifest.dev.seed})`);
      process.stdout.write(summary(platform, settings, console));
    } catch (error) {
      await platform.stop();
      await console?.close();
      throw error;
    }
    const watcher = settings.watch ? watchPlatform(platform, say) : undefined;
    const signal = await stopped;
    watcher?.close();
    say(`${signal}: stopping…`);
    await platform.stop();
    await console?.close();
    return 0;
  },
};
