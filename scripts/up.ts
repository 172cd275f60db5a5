// `make up`: the whole platform in one command, with embedded databases unless PG_URL is set.
import { join } from "node:path";
import { ConfigError, integer, readSettings, runMain, text } from "@weft/mesh";
import { prettyLines } from "@weft/mesh/launcher";
import { devAdmin, seedDemoCatalog, serviceNames, startPlatform } from "./platform.ts";

await runMain("make up", async () => {
  const settings = readSettings<{ gatewayPort: number; pgUrl: string; dataDir: string }>({
    gatewayPort: ["GATEWAY_PORT", integer(8080, 1, 65535)],
    pgUrl: ["PG_URL", text("", /^postgres(ql)?:\/\/.+/, "a postgres:// URL")],
    dataDir: ["WEFT_DATA_DIR", text(".data")],
  });
  const say = (line: string) => process.stdout.write(`\x1b[1m▸ ${line}\x1b[0m\n`);
  const logs = await prettyLines([...serviceNames, "gateway", "nats"]);
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  try {
    platform = await startPlatform({
      dataDir: join(process.cwd(), settings.dataDir),
      gatewayPort: settings.gatewayPort,
      pgUrl: settings.pgUrl || undefined,
      logs,
      progress: say,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    process.stderr.write(`\nmake up: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const products = await seedDemoCatalog(platform.gatewayUrl);
  const url = platform.gatewayUrl.replace("127.0.0.1", "localhost");
  const rows = [
    ["REST / Connect / gRPC-Web / gRPC", url],
    ["OpenAPI document", `${url}/openapi.json`],
    ["Health / readiness", `${url}/healthz  ${url}/readyz`],
    ...serviceNames.map((n) => [`${n} (gRPC, mTLS)`, platform.addresses[n]]),
    ["Admin (dev only)", `${devAdmin.email} / ${devAdmin.password}`],
    [
      "Databases",
      settings.pgUrl
        ? "PostgreSQL at PG_URL, one per service"
        : `embedded PGlite under ${settings.dataDir}/<service>/db`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k!.length));
  process.stdout.write(`\nWeft is up (${products} products in the catalog).\n\n`);
  for (const [key, value] of rows) process.stdout.write(`  ${key!.padEnd(width)}  ${value}\n`);
  process.stdout.write(
    `\nTry it:\n  curl -s ${url}/v1/products\n  curl -s -X POST ${url}/v1/auth/signup -H 'content-type: application/json' \\\n    -d '{"email":"you@example.com","password":"correct horse battery","displayName":"You"}'\n\nCtrl-C stops everything.\n\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping…`);
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
});
