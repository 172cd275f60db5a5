export { assertOwnerOnly, caCertFileName, caKeyFileName, loadOrCreateCa } from "./ca-store.ts";
export type { CertificateAuthority } from "./certificate-authority.ts";
export { certificateAuthorityFromPem } from "./certificate-authority.ts";
export type { ChannelCredentialsOptions } from "./credentials.ts";
export {
  channelCredentials,
  renewingChannelCredentials,
  renewingServerCredentials,
  serverCredentials,
} from "./credentials.ts";
export type { VerifiedCsr } from "./csr.ts";
export { CsrError, createCsr, verifyCsr } from "./csr.ts";
export type { CertificateIssuer, LocalIssuerOptions, SignedCertificate, SignRequest } from "./issuer.ts";
export { localCaIssuer } from "./issuer.ts";
export type { CallWithPeerAddress, MtlsMode, PeerCall, PrincipalResolverOptions } from "./mtls-mode.ts";
export { isMtlsMode, mtlsModes, principalResolver } from "./mtls-mode.ts";
export type { CallWithAuthContext, CallWithMetadata } from "./peer.ts";
export { principalFromCall, principalFromCallXfcc, principalFromXfcc, xfccHeader } from "./peer.ts";
export type { ServerIdentityCheck } from "./server-identity-check.ts";
export { serverIdentityCheck } from "./server-identity-check.ts";
export { addressOfPeer, isLoopbackHost, sidecarAddressCheck } from "./sidecar.ts";
export type { SignerIssuerOptions } from "./signer-client.ts";
export { signerIssuer } from "./signer-client.ts";
export { signerSocketVariable, signerTokenVariable } from "./signer-protocol.ts";
export type { CertificateSigner, CertificateSignerOptions, SignerEnrollment } from "./signer-server.ts";
export { startCertificateSigner } from "./signer-server.ts";
export type { ParsedPrincipal, WorkloadName } from "./spiffe.ts";
export {
  defaultTrustDomain,
  namespaceOfPrincipal,
  parsePrincipal,
  principalFromSpiffeId,
  spiffeId,
  trustDomainOfPrincipal,
} from "./spiffe.ts";
export type { SubjectAltName } from "./subject-alt-names.ts";
export { parseSubjectAltNames } from "./subject-alt-names.ts";
export type { TransportSettings } from "./trust-guard.ts";
export { assertTrustableTransport } from "./trust-guard.ts";
export { defaultWorkloadTtlMs } from "./workload-certificate.ts";
export type { WorkloadCertificatesOptions } from "./workload-certificates.ts";
export { WorkloadCertificates } from "./workload-certificates.ts";
export type { IssueRequest, WorkloadIdentity } from "./workload-identity.ts";
export type { IssuerSettings } from "./workload-issuer.ts";
export { workloadIssuer } from "./workload-issuer.ts";
export type { XfccElement, XfccPair } from "./xfcc.ts";
export { parseXfcc } from "./xfcc.ts";
