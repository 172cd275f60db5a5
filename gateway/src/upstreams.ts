import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { NotificationServiceBinding } from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import { OrderServiceBinding } from "@weft/gen/shop/orders/v1/orders_weft.js";
import type { CallOptions, Mesh, ServiceBinding } from "@weft/mesh";
import type { GatewaySettings } from "./config.ts";

/** The services the edge exposes, and which setting holds each one's address. Payments is internal. */
const exposed: ReadonlyArray<[ServiceBinding<unknown, unknown>, keyof GatewaySettings]> = [
  [IdentityServiceBinding, "identityAddr"],
  [CatalogServiceBinding, "catalogAddr"],
  [InventoryServiceBinding, "inventoryAddr"],
  [OrderServiceBinding, "ordersAddr"],
  [NotificationServiceBinding, "notificationsAddr"],
];

/** A generated client seen generically: the edge forwards whatever method a route names. */
type UntypedClient = Record<
  string,
  (request: Message, options?: CallOptions) => Promise<Message> | AsyncIterable<Message>
>;

/** The upstream services behind the edge, each reached through the mesh client (mTLS, deadlines, breaker). */
export class Upstreams {
  readonly services: readonly DescService[] = exposed.map(([binding]) => binding.desc);
  readonly targets: ReadonlyMap<string, string>;
  private readonly clients = new Map<string, UntypedClient>();

  constructor(mesh: Mesh, settings: GatewaySettings) {
    const targets = new Map<string, string>();
    for (const [binding, setting] of exposed) {
      const target = String(settings[setting]);
      targets.set(binding.desc.typeName, target);
      this.clients.set(binding.desc.typeName, mesh.connect(binding, { target }) as UntypedClient);
    }
    this.targets = targets;
  }

  unary(method: DescMethod, request: Message, options: CallOptions): Promise<Message> {
    return this.methodOf(method)(request, options) as Promise<Message>;
  }

  serverStream(method: DescMethod, request: Message, options: CallOptions): AsyncIterable<Message> {
    return this.methodOf(method)(request, options) as AsyncIterable<Message>;
  }

  private methodOf(method: DescMethod) {
    const call = this.clients.get(method.parent.typeName)?.[method.localName];
    if (call === undefined) throw new Error(`no upstream for ${method.parent.typeName}/${method.name}`);
    return call;
  }
}
