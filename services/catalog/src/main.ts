import { runService } from "@weft/mesh";
import { catalogService } from "./service.ts";

await runService(catalogService());
