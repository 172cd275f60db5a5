// The app's RPCs as its manifests and protos declare them (services/*/weft.yaml implements:, the
// descriptors buf builds from proto/): the source the manifests' paths, routes and retry rules
// are checked against. No service list is kept here.

import { type Rpc, rpcsOf } from "../../cli/src/derive/rpcs.ts";
import { appWithContracts } from "../../mesh/test/support/app.ts";

export type { Rpc };

export const { app, registry } = appWithContracts();

export const rpcs: readonly Rpc[] = rpcsOf(app, registry);

/** A concrete URL path for a REST template: every {variable} becomes a sample segment. */
export function samplePath(template: string): string {
  return template.replace(/\{[^}]+\}/g, "sample-id");
}
