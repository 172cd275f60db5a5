// The shop's six public services, the real contracts the gateway serves.
import { CatalogService } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { IdentityService } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { InventoryService } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import { NotificationService } from "@weft/gen/shop/notifications/v1/notifications_pb.js";
import { OrderService } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { PaymentService } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { createTranscodeRegistry, RestRouter } from "../../src/index.ts";

export const shopServices = [
  CatalogService,
  IdentityService,
  InventoryService,
  NotificationService,
  OrderService,
  PaymentService,
] as const;

export const shopRouter = new RestRouter(shopServices);
export const shopRegistry = createTranscodeRegistry(shopServices);
