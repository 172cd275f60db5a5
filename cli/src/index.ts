// @weft/cli: the `weft` command (bin), callable in-process too. The local platform `weft dev`
// runs is @weft/cli/dev.
export type { Command } from "./command.ts";
export { exitCodes, UsageError } from "./errors.ts";
export { commands, main } from "./main.ts";
