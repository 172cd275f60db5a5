// Prints the app's workload names, space-separated, for the Makefile and scripts/rollout.sh until
// they call `weft` (the CLI replaces this script). Run from anywhere inside the app.
import { findAppRoot, loadApp } from "@weft/mesh/app";
import { workloadNames } from "./workloads.ts";

console.log(workloadNames(loadApp(findAppRoot())).join(" "));
