import { runService } from "@weft/mesh";
import { inventoryService } from "./service.ts";

await runService(inventoryService());
