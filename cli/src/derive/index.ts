// The derivations: everything generated from an app's manifests, as pure functions of the loaded
// app (@weft/mesh/app loadApp) and its contracts (loadContracts). `weft manifests` writes
// renderAll's files and `make test`'s drift check compares them (driftProblems).

export { renderEdge } from "./edge.ts";
export { generatedHeader, regenerateCommand } from "./header.ts";
export { renderKustomizeBases } from "./kustomize.ts";
export { renderDatabases, renderOverlays, syncOverlayImages } from "./overlays.ts";
export { formatGrants, principalOf, renderPolicies } from "./policies.ts";
export { driftProblems, generatedDirs, overlaysDir, readOverlays, renderAll, staleFiles } from "./render.ts";
export { edgeRpcs, type Rpc, rpcsOf } from "./rpcs.ts";
export { workloadDir, workloadNames } from "./workloads.ts";
