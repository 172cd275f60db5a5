import { runMain, runService } from "@weft/mesh";
import { paymentsService } from "./service.ts";

await runMain("payments", () => runService(paymentsService));
