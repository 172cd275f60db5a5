// `weft dev`: the whole app on this machine — NATS, every service, the gateway — until Ctrl-C.
import { resolve } from "node:path";
import { boolean, ConfigError, integer, readSettings, text } from "@weft/mesh";
import { type App, checkAppContracts, loadContracts } from "@weft/mesh/app";
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { type Platform, prettyLines, runSeed, startPlatform } from "../dev/index.ts";
import { UsageError } from "../errors.ts";

export interface DevSettings {
  gatewayPort: number;
  pgUrl: string;
  dataDir: string;
  databasePrefix: string;
  freePorts: boolean;
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
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function summary(platform: Platform, settings: DevSettings): string {
  const url = platform.gatewayUrl.replace("127.0.0.1", "localhost");
  const rows: Array<[string, string]> = [
    ["REST / Connect / gRPC-Web / gRPC", url],
    ["OpenAPI document", `${url}/openapi.json`],
    ["Health / readiness", `${url}/healthz  ${url}/readyz`],
    ...platform.app.services.map((s): [string, string] => [`${s.name} (gRPC, mTLS)`, platform.addresses[s.name]!]),
    [
      "Databases",
      settings.pgUrl
        ? `PostgreSQL at PG_URL: ${settings.databasePrefix}_<service>`
        : `embedded PGlite under ${settings.dataDir}/<service>/db`,
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
    const logs = await prettyLines([...app.services.map((s) => s.name), "gateway", "nats", "seed"]);
    // Ctrl-C (or SIGTERM) at any point stops everything: during the start it is noted and acted
    // on as soon as the platform is up (a terminal's Ctrl-C reaches the children directly anyway).
    const stopped = new Promise<NodeJS.Signals>((done) => {
      process.once("SIGINT", () => done("SIGINT"));
      process.once("SIGTERM", () => done("SIGTERM"));
    });
    const platform = await startPlatform(app, {
      dataDir: resolve(app.root, settings.dataDir),
      gatewayPort: settings.gatewayPort,
      pgUrl: settings.pgUrl || undefined,
      databasePrefix: settings.databasePrefix,
      freeServicePorts: settings.freePorts,
      logs,
      progress: say,
    });
    try {
      if (await runSeed(platform, logs)) say(`seeded (${app.manifest.dev.seed})`);
      process.stdout.write(summary(platform, settings));
    } catch (error) {
      await platform.stop();
      throw error;
    }
    const signal = await stopped;
    say(`${signal}: stopping…`);
    await platform.stop();
    return 0;
  },
};
