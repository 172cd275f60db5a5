import { runService } from "@weft/mesh";
import { paymentsService } from "./service.ts";

await runService(paymentsService);
