/**
 * The launcher's certificate signer, as both ends speak it: HTTP/1.1 over a Unix domain socket
 * (reachable only through the file system, so only by local users the socket's directory lets
 * in), one JSON POST per certificate.
 *
 *   POST /v1/sign   Authorization: Bearer <bootstrap token>      {"csr": "<PEM>"}
 *   POST /v1/sign   (renewal)   {"csr": "<PEM>", "renewal": {"certificate": "<PEM>", "signature": "<base64>"}}
 *   200 {"certificate": "<PEM>", "ca": "<PEM>"}    400 / 401 / 403 / 413 {"error": "<why>"}
 */

export const signPath = "/v1/sign";

/** A CSR and a certificate fit many times over; anything bigger is not a signing request. */
export const maxSignRequestBytes = 64 * 1024;

/** The environment a workload reads to reach the signer (set by the launcher). */
export const signerSocketVariable = "MESH_SIGNER_SOCKET";
export const signerTokenVariable = "MESH_SIGNER_TOKEN";

export interface SignRequestBody {
  readonly csr: string;
  readonly renewal?: { readonly certificate: string; readonly signature: string };
}

export interface SignReplyBody {
  readonly certificate: string;
  readonly ca: string;
}

/**
 * What a renewal signs with the key of the certificate being renewed: the new CSR, under a label
 * so the signature cannot be mistaken for one made for anything else.
 */
export function renewalProofInput(csrDer: Buffer): Buffer {
  return Buffer.concat([Buffer.from("weft-signer-renewal-v1\n"), csrDer]);
}
