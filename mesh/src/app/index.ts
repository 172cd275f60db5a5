// Weft app manifests: weft.app.yaml and services/<name>/weft.yaml, loaded, validated and checked
// against the protos. The runtime, the gateway, the CLI and the tests all read an app through this.

export { addressVariable, clusterGrpcPort, clusterTarget } from "./addresses.ts";
export { checkAppContracts, contractsFile, hasHttpRoute, loadContracts, methodAt, servicesOf } from "./contracts.ts";
export { ManifestError } from "./errors.ts";
export { appFileName, findAppRoot, serviceFileName } from "./find-root.ts";
export { derivedGrants, isGranted } from "./grants.ts";
export { firstServicePort, loadApp } from "./load.ts";
export {
  type App,
  type AppManifest,
  type Call,
  type EdgeAuth,
  type Grant,
  gatewayWorkload,
  type ServiceManifest,
} from "./types.ts";
