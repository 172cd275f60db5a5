import { sign } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { CertificateIssuer, SignRequest } from "./issuer.ts";
import { renewalProofInput, type SignReplyBody, type SignRequestBody, signPath } from "./signer-protocol.ts";
import { PemConverter } from "./x509.ts";

export interface SignerIssuerOptions {
  /** The signer's Unix socket (`MESH_SIGNER_SOCKET`). */
  readonly socketPath: string;
  /** This workload's one-time bootstrap token (`MESH_SIGNER_TOKEN`). */
  readonly token: string;
  readonly timeoutMs?: number;
}

/**
 * A workload's side of the launcher's signer: the first certificate with the bootstrap token,
 * every renewal with a signature by the key of the certificate being renewed. The CA key stays
 * in the launcher; only CSRs and certificates cross the socket.
 */
export function signerIssuer(options: SignerIssuerOptions): CertificateIssuer {
  let token: string | undefined = options.token;
  return {
    async sign(request) {
      const body: SignRequestBody = { csr: request.csrPem, ...renewalOf(request) };
      const authorization = body.renewal === undefined && token !== undefined ? `Bearer ${token}` : undefined;
      const reply = await post(options, body, authorization);
      // The signer spends a token on its first use, whatever the answer: never send it twice.
      if (authorization !== undefined) token = undefined;
      if (!reply.ok) {
        throw new Error(`the certificate signer at ${options.socketPath} refused (${reply.status}): ${reply.error}`);
      }
      return { certPem: reply.body.certificate, caPem: reply.body.ca };
    },
  };
}

function renewalOf(request: SignRequest): Pick<SignRequestBody, "renewal"> {
  if (request.current === undefined) return {};
  const csrDer = Buffer.from(PemConverter.decodeFirst(request.csrPem));
  const signature = sign("sha256", renewalProofInput(csrDer), request.current.keyPem).toString("base64");
  return { renewal: { certificate: request.current.certPem, signature } };
}

type Reply = { ok: true; body: SignReplyBody } | { ok: false; status: number; error: string };

function post(options: SignerIssuerOptions, body: SignRequestBody, authorization: string | undefined): Promise<Reply> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        socketPath: options.socketPath,
        path: signPath,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          ...(authorization === undefined ? {} : { authorization }),
        },
        timeout: options.timeoutMs ?? 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.once("error", reject);
        response.once("end", () => {
          const status = response.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            resolve({ ok: false, status, error: "the signer's answer is not JSON" });
            return;
          }
          const fields = parsed as Partial<SignReplyBody> & { error?: unknown };
          if (status === 200 && typeof fields.certificate === "string" && typeof fields.ca === "string") {
            resolve({ ok: true, body: { certificate: fields.certificate, ca: fields.ca } });
          } else {
            resolve({ ok: false, status, error: String(fields.error ?? "no reason given") });
          }
        });
      },
    );
    outgoing.once("timeout", () => outgoing.destroy(new Error("the certificate signer did not answer in time")));
    outgoing.once("error", reject);
    outgoing.end(text);
  });
}
