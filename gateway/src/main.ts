import { createMesh, runMain } from "@weft/mesh";
import { gatewaySettingsFromEnv } from "./config.ts";
import { startGateway } from "./server.ts";

await runMain("gateway", async () => {
  const settings = gatewaySettingsFromEnv();
  const mesh = await createMesh({ name: "gateway" });
  const gateway = await startGateway(mesh, settings);
  const stop = (signal: NodeJS.Signals) => {
    mesh.logger.info({ signal }, "shutting down");
    gateway
      .close()
      .then(() => mesh.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          mesh.logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
});
