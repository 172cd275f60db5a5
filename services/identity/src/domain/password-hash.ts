import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashes in a self-describing string, `$scrypt$ln=15,r=8,p=1$<salt>$<key>` (base64
 * without padding, as in the PHC string format), so the cost can rise later: a stored hash
 * always names the parameters it was made with, and `needsRehash` tells when to upgrade it.
 * scrypt runs on libuv's thread pool (the async API), never on the event loop.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly logN: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** OWASP's scrypt recommendation (N=2^15, r=8, p=1): about 32 MiB and tens of ms per hash. */
export const currentParams: ScryptParams = { logN: 15, r: 8, p: 1 };
const saltBytes = 16;
const keyBytes = 64;
const format = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export async function hashPassword(password: string, params: ScryptParams = currentParams): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, keyBytes, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Whether the password matches the stored hash; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made with weaker parameters than today's. */
export function needsRehash(stored: string, params: ScryptParams = currentParams): boolean {
  const parsed = parse(stored);
  if (parsed === undefined) return true;
  const was = parsed.params;
  return was.logN < params.logN || was.r < params.r || was.p < params.p || parsed.key.length < keyBytes;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const match = format.exec(stored);
  if (match === null) return undefined;
  const [, logN, r, p, salt, key] = match;
  const params = { logN: Number(logN), r: Number(r), p: Number(p) };
  if (params.logN < 1 || params.logN > 24 || params.r < 1 || params.p < 1) return undefined;
  return { params, salt: Buffer.from(salt!, "base64"), key: Buffer.from(key!, "base64") };
}

function derive(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly that at N=2^15, r=8
    // and refuses it, so allow twice the need.
    maxmem: 256 * N * params.r,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function b64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}
