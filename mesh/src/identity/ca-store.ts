import { chmod, mkdir, mkdtemp, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type CertificateAuthority, certificateAuthorityFromPem } from "./certificate-authority.ts";
import { createRootCertificate, type RootCertificate } from "./root-certificate.ts";

export const caCertFileName = "ca.pem";
export const caKeyFileName = "ca-key.pem";

/**
 * The local mesh CA kept in `dir` (the mesh uses `.data/mesh/`): loaded when it exists, created
 * on first use. Every service of `make up` may start at once and call this together, so the CA
 * is built in a private staging directory and renamed to `dir` in one step: exactly one rename
 * wins and everyone, winners and losers, loads what won. `dir` therefore belongs to the CA: it
 * must not exist yet, or be empty, when the CA is first created.
 */
export async function loadOrCreateCa(dir: string): Promise<CertificateAuthority> {
  const existing = await readRoot(dir);
  if (existing) return certificateAuthorityFromPem(existing.certPem, existing.keyPem);
  await createAtomically(resolve(dir));
  const created = await readRoot(dir);
  if (!created) {
    throw new Error(`${dir} already holds other files but no ${caCertFileName}: give the mesh CA its own directory`);
  }
  return certificateAuthorityFromPem(created.certPem, created.keyPem);
}

async function readRoot(dir: string): Promise<RootCertificate | undefined> {
  let certPem: string;
  try {
    certPem = await readFile(join(dir, caCertFileName), "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT", "ENOTDIR")) return undefined;
    throw error;
  }
  // Both files appear together (one rename), so a certificate without its key is damage, not a race.
  const keyPath = join(dir, caKeyFileName);
  await assertOwnerOnly(keyPath);
  const keyPem = await readFile(keyPath, "utf8");
  return { certPem, keyPem };
}

/**
 * The CA key mints every identity of the mesh: refuse to use one that others could have read (or
 * replaced), rather than trust it. One line that says what to fix.
 */
export async function assertOwnerOnly(path: string): Promise<void> {
  const info = await stat(path);
  const mode = info.mode & 0o777;
  const uid = process.getuid?.();
  if ((mode & 0o077) !== 0 || (uid !== undefined && info.uid !== uid)) {
    throw new Error(
      `refusing the mesh CA key ${path}: it must be mode 0600 and owned by uid ${uid ?? "of this process"}, ` +
        `but it is mode 0${mode.toString(8)} owned by uid ${info.uid} (fix: chown ${uid ?? "$USER"} ${path} && chmod 600 ${path})`,
    );
  }
}

async function createAtomically(dir: string): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  // Staging next to `dir` keeps the rename on one file system, where it is atomic.
  const staging = await mkdtemp(join(parent, `.${basename(dir)}.creating-`));
  try {
    const root = await createRootCertificate();
    await writePrivateFile(join(staging, caKeyFileName), root.keyPem);
    await writePrivateFile(join(staging, caCertFileName), root.certPem);
    await chmod(staging, 0o700);
    // Renaming a directory onto a non-empty one fails, so only the first creator lands.
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (hasCode(error, "ENOTEMPTY", "EEXIST")) return;
    throw error;
  }
}

/** Owner-only, flushed before the rename so a crash cannot publish an empty key. */
async function writePrivateFile(path: string, contents: string): Promise<void> {
  const file = await open(path, "wx", 0o600);
  try {
    await file.writeFile(contents, "utf8");
    await file.sync();
  } finally {
    await file.close();
  }
  // The creation mode passes through the umask; say it once more, exactly.
  await chmod(path, 0o600);
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && "code" in error && codes.includes(String(error.code));
}
