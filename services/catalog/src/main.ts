import { runMain, runService } from "@weft/mesh";
import { catalogService } from "./service.ts";

await runMain("catalog", () => runService(catalogService()));
