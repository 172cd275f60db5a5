import { runMain, runService } from "@weft/mesh";
import { identityService } from "./service.ts";

await runMain("identity", () => runService(identityService()));
