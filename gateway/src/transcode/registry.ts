import { createRegistry, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import { file_google_rpc_error_details, file_google_rpc_status } from "@weft/mesh/contracts";

/**
 * The JSON type registry for transcoding: every type of the services' files and of the files they
 * import, plus the google.rpc error details. `google.protobuf.Any` (in bodies, responses and error
 * details) can only be written or read as JSON for types found here.
 */
export function createTranscodeRegistry(services: readonly DescService[]): Registry {
  const files = new Set<DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const dependency of file.dependencies) visit(dependency);
  };
  for (const service of services) visit(service.file);
  visit(file_google_rpc_error_details);
  visit(file_google_rpc_status);
  return createRegistry(...files);
}
