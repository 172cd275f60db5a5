import { randomBytes } from "node:crypto";
import { chmod, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { eventStreamOf } from "@weft/mesh/events";

/** What a workload does on the event bus, which decides what NATS lets it do. */
export interface NatsWorkload {
  /** The workload's name; also its NATS user. */
  readonly name: string;
  /** Protobuf packages whose events it publishes (`shop.orders.v1`): it may publish those subjects and no other events. */
  readonly publishes: readonly string[];
}

/** The environment a service reads its NATS credentials from. */
export const natsUserVariable = "NATS_USER";
export const natsPasswordVariable = "NATS_PASSWORD";

export interface NatsAuthorization {
  /** nats-server configuration with one user per workload (pass it with `-c`); owner-only. */
  readonly configFile: string;
  /** `NATS_USER` / `NATS_PASSWORD` for workload `name`. */
  envFor(name: string): Readonly<Record<string, string>>;
}

/**
 * Subjects every workload needs whatever it publishes: the JetStream API (declaring streams,
 * durable consumers, pulling), acknowledging deliveries, parking poison events in the dead-letter
 * stream; and, to subscribe, only its inboxes — pull consumers, API replies and publish acks all
 * arrive there. Core subscriptions to event subjects are not allowed: events are read through
 * durable consumers.
 */
const jetStreamPublish = ["$JS.API.>", "$JS.ACK.>", "dlq.>"];
const inboxSubscribe = ["_INBOX.>"];

/**
 * Writes a nats-server configuration for a NATS the launcher starts: one user per workload with a
 * fresh random password, allowed to publish only the event subjects of its own packages (plus
 * the JetStream plumbing above), so a service cannot publish another's events. Passwords live in
 * this file (0600, in a 0700 directory) and in the workloads' environment; they change every time
 * the launcher writes the file.
 */
export async function writeNatsAuthorization(
  dir: string,
  workloads: readonly NatsWorkload[],
): Promise<NatsAuthorization> {
  const passwords = new Map(workloads.map((w) => [w.name, randomBytes(24).toString("base64url")]));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const configFile = join(dir, "nats-server.conf");
  const file = await open(configFile, "w", 0o600);
  try {
    await file.writeFile(natsAuthorizationConfig(workloads.map((w) => ({ ...w, password: passwords.get(w.name)! }))));
  } finally {
    await file.close();
  }
  await chmod(configFile, 0o600);
  return {
    configFile,
    envFor(name) {
      const password = passwords.get(name);
      if (password === undefined) throw new Error(`no NATS user for ${name}: it is not one of the workloads`);
      return { [natsUserVariable]: name, [natsPasswordVariable]: password };
    },
  };
}

/**
 * The `authorization` block of a nats-server configuration for these users and passwords: what
 * the launcher writes, and what a Kubernetes NATS can mount from a Secret. NATS configuration is
 * a superset of JSON; JSON keeps the `$JS…` subjects free of variable expansion.
 */
export function natsAuthorizationConfig(users: ReadonlyArray<NatsWorkload & { readonly password: string }>): string {
  const entries = users.map((workload) => ({
    user: workload.name,
    password: workload.password,
    permissions: {
      publish: { allow: [...workload.publishes.flatMap((pkg) => eventStreamOf(pkg).subjects), ...jetStreamPublish] },
      subscribe: { allow: inboxSubscribe },
    },
  }));
  return `${JSON.stringify({ authorization: { users: entries } }, null, 2)}\n`;
}
