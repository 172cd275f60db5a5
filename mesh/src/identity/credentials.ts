import { type ChannelCredentials, credentials, experimental, ServerCredentials } from "@grpc/grpc-js";
import { serverIdentityCheck } from "./server-identity-check.ts";
import { trustDomainOfPrincipal } from "./spiffe.ts";
import type { WorkloadCertificates } from "./workload-certificates.ts";
import type { WorkloadIdentity } from "./workload-identity.ts";

/** Server side of mesh mTLS: presents the workload certificate and requires a client certificate from the mesh CA. */
export function serverCredentials(identity: WorkloadIdentity): ServerCredentials {
  return ServerCredentials.createSsl(
    Buffer.from(identity.caPem),
    [{ cert_chain: Buffer.from(identity.certPem), private_key: Buffer.from(identity.keyPem) }],
    true,
  );
}

export interface ChannelCredentialsOptions {
  /**
   * Principals the server must have, e.g. `["cluster.local/ns/example/sa/ledger"]`. Without it,
   * any workload of the caller's trust domain that holds a mesh certificate is accepted.
   */
  readonly allowedServerPrincipals?: readonly string[];
}

/** Client side of mesh mTLS: presents the workload certificate and verifies the server by its SPIFFE id. */
export function channelCredentials(
  identity: WorkloadIdentity,
  options: ChannelCredentialsOptions = {},
): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(identity.caPem),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certPem),
    { checkServerIdentity: serverIdentityCheck(trustDomainOf(identity), options.allowedServerPrincipals) },
  );
}

/**
 * `serverCredentials` that follow the workload's renewals: each new handshake presents the
 * current certificate. (grpc-js 1.14 passes this function's two providers to its constructor in
 * swapped order; one provider for both makes that harmless.)
 */
export function renewingServerCredentials(certificates: WorkloadCertificates): ServerCredentials {
  return experimental.createCertificateProviderServerCredentials(certificates, certificates, true);
}

/** `channelCredentials` that follow the workload's renewals: each new connection presents the current certificate. */
export function renewingChannelCredentials(
  certificates: WorkloadCertificates,
  options: ChannelCredentialsOptions = {},
): ChannelCredentials {
  return experimental.createCertificateProviderChannelCredentials(certificates, certificates, {
    checkServerIdentity: serverIdentityCheck(trustDomainOf(certificates.current), options.allowedServerPrincipals),
  });
}

function trustDomainOf(identity: WorkloadIdentity): string {
  const trustDomain = trustDomainOfPrincipal(identity.principal);
  if (trustDomain === undefined) throw new RangeError(`not a mesh principal: ${identity.principal}`);
  return trustDomain;
}
