import type { DescMethod, DescService, Message, Registry } from "@bufbuild/protobuf";
import { type CallOptions, type DynamicClient, dynamicBinding, type Mesh } from "@weft/mesh";

/**
 * The upstream services behind the edge: every proto service an `edge: true` service implements
 * (services/<name>/weft.yaml), described by the app's contracts (gen/weft.binpb) and called
 * generically through the mesh client (mTLS, deadlines, breaker), at `<NAME>_ADDR` or the
 * upstream's Kubernetes Service. The edge imports no app code.
 */
export class Upstreams {
  readonly services: readonly DescService[];
  /** Where each proto service is served: its typeName → gRPC target. */
  readonly targets: ReadonlyMap<string, string>;
  private readonly clients = new Map<string, DynamicClient>();

  constructor(mesh: Mesh, contracts: Registry) {
    const services: DescService[] = [];
    const targets = new Map<string, string>();
    for (const service of mesh.app.services.filter((s) => s.edge)) {
      for (const typeName of service.implements) {
        const desc = contracts.getService(typeName);
        if (desc === undefined) throw new Error(`${typeName} (implemented by ${service.name}) is not in the contracts`);
        services.push(desc);
        targets.set(typeName, mesh.targetOf(service.name));
        this.clients.set(typeName, mesh.connect(dynamicBinding(desc)));
      }
    }
    this.services = services;
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
