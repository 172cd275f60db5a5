// A program's entry point and its end: configuration and manifest errors as one line and exit
// code 2, and SIGTERM/SIGINT as a graceful stop. One implementation for services, the gateway
// and any other Weft program.
import { ManifestError } from "../app/index.ts";
import { ConfigError } from "../config/env.ts";
import type { Logger } from "../telemetry/index.ts";

/**
 * Runs `start`, turning a ConfigError or ManifestError into one line on stderr and exit code 2
 * instead of a stack trace. Anything else is a crash and keeps its stack.
 */
export async function runMain(program: string, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${program}: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof ManifestError) {
      process.stderr.write(`${program}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * On the first SIGTERM or SIGINT: log it, run `stop`, then exit 0 (1 when stopping failed).
 * A second signal while stopping exits at once, for an operator who will not wait.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
