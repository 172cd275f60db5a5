import { runMain, runService } from "@weft/mesh";
import { definition } from "./service.ts";

await runMain("orders", () => runService(definition));
