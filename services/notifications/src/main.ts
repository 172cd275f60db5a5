import { runMain, runService } from "@weft/mesh";
import { notificationsService } from "./service.ts";

await runMain("notifications", () => runService(notificationsService()));
