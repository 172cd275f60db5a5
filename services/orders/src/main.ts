import { runService } from "@weft/mesh";
import { definition } from "./service.ts";

await runService(definition);
