export { caCertFileName, caKeyFileName, loadOrCreateCa } from "./ca-store.ts";
export type { CertificateAuthority } from "./certificate-authority.ts";
export { certificateAuthorityFromPem } from "./certificate-authority.ts";
export type { ChannelCredentialsOptions } from "./credentials.ts";
export { channelCredentials, serverCredentials } from "./credentials.ts";
export type { MtlsMode, PeerCall } from "./mtls-mode.ts";
export { isMtlsMode, mtlsModes, principalResolver } from "./mtls-mode.ts";
export type { CallWithAuthContext, CallWithMetadata } from "./peer.ts";
export { principalFromCall, principalFromCallXfcc, principalFromXfcc, xfccHeader } from "./peer.ts";
export type { ServerIdentityCheck } from "./server-identity-check.ts";
export { serverIdentityCheck } from "./server-identity-check.ts";
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
export { defaultWorkloadTtlMs } from "./workload-certificate.ts";
export type { IssueRequest, WorkloadIdentity } from "./workload-identity.ts";
export type { XfccElement, XfccPair } from "./xfcc.ts";
export { parseXfcc } from "./xfcc.ts";
