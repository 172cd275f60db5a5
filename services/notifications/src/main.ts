import { runService } from "@weft/mesh";
import { notificationsService } from "./service.ts";

await runService(notificationsService());
