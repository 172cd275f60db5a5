import { runMain, runService } from "@weft/mesh";
import { inventoryService } from "./service.ts";

await runMain("inventory", () => runService(inventoryService()));
