import { createMesh, runMain, stopOnSignals } from "@weft/mesh";
import { checkAppContracts, gatewayWorkload, loadApp, loadContracts } from "@weft/mesh/app";
import { gatewaySettingsFromEnv } from "./config.ts";
import { startGateway } from "./server.ts";

await runMain(gatewayWorkload, async () => {
  const app = loadApp();
  const contracts = loadContracts(app.root);
  checkAppContracts(app, contracts);
  const settings = gatewaySettingsFromEnv(process.env, { port: app.manifest.edge.port });
  const mesh = await createMesh({ name: gatewayWorkload, app });
  const gateway = await startGateway(mesh, settings, { contracts });
  stopOnSignals(async () => {
    await gateway.close();
    await mesh.close();
  }, mesh.logger);
});
