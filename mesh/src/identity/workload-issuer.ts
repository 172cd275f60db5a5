import { ConfigError } from "../config/env.ts";
import type { CertificateIssuer } from "./issuer.ts";
import { signerIssuer } from "./signer-client.ts";
import { signerSocketVariable, signerTokenVariable } from "./signer-protocol.ts";

export interface IssuerSettings {
  readonly issuer?: CertificateIssuer;
  readonly signerSocket: string;
  readonly signerToken: string;
}

/**
 * Where a mesh-mode workload gets its certificates: the in-process issuer its program passed, or
 * the launcher's signer named by the environment. There is no third way: a workload never opens
 * the CA key, so without either it does not start.
 */
export function workloadIssuer(settings: IssuerSettings): CertificateIssuer {
  if (settings.issuer) return settings.issuer;
  if (settings.signerSocket !== "" && settings.signerToken !== "") {
    return signerIssuer({ socketPath: settings.signerSocket, token: settings.signerToken });
  }
  throw new ConfigError(
    `MESH_MTLS=mesh needs the launcher's certificate signer: ${signerSocketVariable} and ${signerTokenVariable} are set by the launcher (make up); a workload never reads the CA key`,
  );
}
