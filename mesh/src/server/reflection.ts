import { type DescFile, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ReflectionService } from "@grpc/reflection";
import type { ServiceBinding } from "../rpc/binding.ts";

/**
 * gRPC server reflection for the served services, built from the descriptors protobuf-es
 * generated (no .proto files needed at run time), so `buf curl` and grpcurl can list and call them.
 */
export function reflectionFor(bindings: ReadonlyArray<ServiceBinding<unknown, unknown>>): ReflectionService {
  const files = new Map<string, Buffer>();
  const add = (file: DescFile) => {
    const name = file.proto.name;
    if (files.has(name)) return;
    files.set(name, Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
    for (const dependency of file.dependencies) add(dependency);
  };
  for (const binding of bindings) add(binding.desc.file);
  // @grpc/reflection reads only `fileDescriptorProtos` of each entry of a proto-loader package definition.
  const definition: ConstructorParameters<typeof ReflectionService>[0] = {};
  for (const [name, bytes] of files) {
    definition[name] = { format: "Protocol Buffer 3 DescriptorProto", type: {}, fileDescriptorProtos: [bytes] };
  }
  return new ReflectionService(definition, { services: bindings.map((b) => b.desc.typeName) });
}
