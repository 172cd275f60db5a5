import { createHash, randomBytes, verify, X509Certificate } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { dirname } from "node:path";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { CsrError, type VerifiedCsr, verifyCsr } from "./csr.ts";
import type { CertificateIssuer } from "./issuer.ts";
import {
  maxSignRequestBytes,
  renewalProofInput,
  type SignReplyBody,
  type SignRequestBody,
  signerSocketVariable,
  signerTokenVariable,
  signPath,
} from "./signer-protocol.ts";
import { parsePrincipal, principalFromSpiffeId, spiffeId } from "./spiffe.ts";
import { uriOfSubjectAltNames } from "./subject-alt-names.ts";

export interface CertificateSignerOptions {
  /** The CA; only this process holds its key. */
  readonly ca: CertificateAuthority;
  /** Where to listen; its directory is created owner-only. */
  readonly socketPath: string;
  readonly trustDomain: string;
  readonly namespace: string;
  /** Lifetime of each certificate; default 24 h. */
  readonly ttlMs?: number;
  /** Told why a request was refused (the launcher logs it). */
  readonly onRefusal?: (reason: string) => void;
}

/** A workload's way in: the one-time token, and the environment that carries it and the socket. */
export interface SignerEnrollment {
  readonly token: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The launcher's signer: holds the CA and certifies each workload's key, for its own name only. */
export interface CertificateSigner {
  readonly socketPath: string;
  /**
   * A one-time bootstrap token for workload `name`, for the environment of the process about to
   * start. Enrolling a name again (a restart) withdraws its unused token.
   */
  enroll(name: string): SignerEnrollment;
  /** Signs in-process for `name`, without a token: for the launcher's own mesh identity. */
  issuerFor(name: string): CertificateIssuer;
  close(): Promise<void>;
}

/** Linux's `sun_path` holds 108 bytes with the terminating NUL. */
const maxSocketPathBytes = 107;

/** A request the signer turns down, with the HTTP status that says why. */
class Refusal extends Error {
  readonly status: 400 | 401 | 403 | 404 | 405 | 413;
  constructor(status: Refusal["status"], message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Starts the signer on a Unix domain socket. A workload proves who it is either with its
 * bootstrap token (first certificate; the token is spent on first use, whatever the outcome) or,
 * to renew, with a still-valid certificate from this CA and a signature by that certificate's key
 * over the new CSR. Either way it gets a certificate for its own name only.
 */
export async function startCertificateSigner(options: CertificateSignerOptions): Promise<CertificateSigner> {
  const { ca, socketPath } = options;
  if (Buffer.byteLength(socketPath) > maxSocketPathBytes) {
    throw new Error(
      `the certificate signer's socket path is ${Buffer.byteLength(socketPath)} bytes, over the ${maxSocketPathBytes} a Unix socket allows: ${socketPath} (use a shorter data directory)`,
    );
  }
  await prepareSocketPath(socketPath);

  // Tokens are kept hashed: a heap dump of the launcher does not hand them out.
  const tokenOwners = new Map<string, string>();
  const tokenOfName = new Map<string, string>();
  const enrolled = new Set<string>();
  const hash = (token: string) => createHash("sha256").update(token).digest("hex");
  const expectedId = (name: string) =>
    spiffeId({ trustDomain: options.trustDomain, namespace: options.namespace, serviceAccount: name });

  const signFor = async (name: string, csr: VerifiedCsr): Promise<SignReplyBody> => {
    const granted = expectedId(name);
    if (csr.spiffeId !== granted) throw new Refusal(403, `this credential grants ${granted}, not ${csr.spiffeId}`);
    const signed = await ca.signKey(csr.publicKey, {
      spiffeId: granted,
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    });
    return { certificate: signed.certPem, ca: signed.caPem };
  };

  const nameFromToken = (authorization: string | undefined): string => {
    const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
    if (token === undefined) throw new Refusal(401, "a bootstrap token or a renewal proof is required");
    const key = hash(token);
    const name = tokenOwners.get(key);
    if (name === undefined) throw new Refusal(401, "unknown or already used bootstrap token");
    tokenOwners.delete(key);
    tokenOfName.delete(name);
    return name;
  };

  const nameFromRenewal = (renewal: NonNullable<SignRequestBody["renewal"]>, csr: VerifiedCsr): string => {
    if (!ca.issued(renewal.certificate)) throw new Refusal(401, "the renewed certificate is not from this CA");
    const certificate = new X509Certificate(renewal.certificate);
    const now = Date.now();
    if (Date.parse(certificate.validFrom) > now || Date.parse(certificate.validTo) <= now) {
      throw new Refusal(
        401,
        "the renewed certificate is not valid now: a workload whose certificate expired must restart",
      );
    }
    const uri = uriOfSubjectAltNames(certificate.subjectAltName);
    const principal = uri === undefined ? undefined : principalFromSpiffeId(uri);
    const parsed = principal === undefined ? undefined : parsePrincipal(principal);
    if (parsed === undefined || uri !== expectedId(parsed.serviceAccount) || !enrolled.has(parsed.serviceAccount)) {
      throw new Refusal(401, "the renewed certificate names no workload of this launcher");
    }
    const signature = Buffer.from(renewal.signature, "base64");
    if (!verify("sha256", renewalProofInput(csr.der), certificate.publicKey, signature)) {
      throw new Refusal(401, "the renewal proof is not signed by the renewed certificate's key");
    }
    return parsed.serviceAccount;
  };

  const handle = async (request: IncomingMessage): Promise<SignReplyBody> => {
    if (request.url !== signPath) throw new Refusal(404, `no such endpoint; POST ${signPath}`);
    if (request.method !== "POST") throw new Refusal(405, `POST ${signPath}`);
    const body = parseBody(await readBody(request));
    let csr: VerifiedCsr;
    try {
      csr = await verifyCsr(body.csr);
    } catch (error) {
      if (error instanceof CsrError) throw new Refusal(400, error.message);
      throw error;
    }
    const name = body.renewal ? nameFromRenewal(body.renewal, csr) : nameFromToken(request.headers.authorization);
    return signFor(name, csr);
  };

  const server: Server = createServer((request, response) => {
    handle(request).then(
      (reply) => respond(response, 200, reply),
      (error: unknown) => {
        const refusal = error instanceof Refusal ? error : undefined;
        options.onRefusal?.(refusal?.message ?? `signing failed: ${String(error)}`);
        respond(response, refusal?.status ?? 500, { error: refusal?.message ?? "internal error" });
      },
    );
  });
  // A client that stalls mid-request must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);

  return {
    socketPath,
    enroll(name) {
      expectedId(name); // throws on a name that cannot be a service account
      const previous = tokenOfName.get(name);
      if (previous !== undefined) tokenOwners.delete(previous);
      const token = randomBytes(32).toString("base64url");
      tokenOwners.set(hash(token), name);
      tokenOfName.set(name, hash(token));
      enrolled.add(name);
      return { token, env: { [signerSocketVariable]: socketPath, [signerTokenVariable]: token } };
    },
    issuerFor(name) {
      enrolled.add(name);
      return {
        async sign(request) {
          const reply = await signFor(name, await verifyCsr(request.csrPem));
          return { certPem: reply.certificate, caPem: reply.ca };
        },
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(socketPath, { force: true });
    },
  };
}

/** The socket's directory owner-only; a socket left by a crashed launcher removed, a live one refused. */
async function prepareSocketPath(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new Error(`another certificate signer is already listening on ${socketPath}`);
  await rm(socketPath, { force: true });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSignRequestBytes) {
        reject(new Refusal(413, `a signing request is at most ${maxSignRequestBytes} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.once("error", reject);
  });
}

function parseBody(text: string): SignRequestBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Refusal(400, "the body must be JSON");
  }
  const body = value as { csr?: unknown; renewal?: { certificate?: unknown; signature?: unknown } } | null;
  if (typeof body?.csr !== "string") throw new Refusal(400, "csr must be a PEM string");
  if (body.renewal === undefined) return { csr: body.csr };
  const { certificate, signature } = body.renewal ?? {};
  if (typeof certificate !== "string" || typeof signature !== "string") {
    throw new Refusal(400, "renewal must hold a certificate (PEM) and a signature (base64)");
  }
  return { csr: body.csr, renewal: { certificate, signature } };
}

function respond(response: ServerResponse, status: number, body: object): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
