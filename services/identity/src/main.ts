import { runService } from "@weft/mesh";
import { identityService } from "./service.ts";

await runService(identityService());
