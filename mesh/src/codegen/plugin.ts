import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { createEcmaScriptPlugin, type GeneratedFile, type Schema } from "@bufbuild/protoplugin";

/** The package every generated file imports Weft's small call runtime from. */
const runtimePackage = "@weft/mesh/rpc";

/**
 * protoc-gen-weft: for every protobuf service, a grpc-js `ServiceDefinition`, a typed async
 * server interface, a typed client interface and a client factory. Message types come from
 * protoc-gen-es (`*_pb.ts`, generated beside these files); this plugin writes `*_weft.ts`.
 */
export const weftPlugin = createEcmaScriptPlugin({
  name: "protoc-gen-weft",
  version: "v0.1.0",
  generateTs,
});

function generateTs(schema: Schema): void {
  for (const file of schema.files) {
    if (file.services.length === 0) continue;
    const f = schema.generateFile(`${file.name}_weft.ts`);
    f.preamble(file);
    for (const service of file.services) {
      printDefinition(f, service);
      printHandlers(f, service);
      printClient(f, service);
      printBinding(f, service);
    }
  }
}

/** The grpc-js definition: the wire paths and the protobuf-es codecs of every method. */
function printDefinition(f: GeneratedFile, service: DescService): void {
  const { create, fromBinary, toBinary } = f.runtime;
  // The encoded bytes go to grpc-js without a copy.
  const bufferOf = f.import("bufferOf", runtimePackage);
  f.print(f.jsDoc(`The grpc-js ServiceDefinition of ${service.typeName}: wire paths and codecs.`));
  f.print(f.export("const", `${service.name}Definition`), " = {");
  for (const method of service.methods) {
    const input = f.importSchema(method.input);
    const output = f.importSchema(method.output);
    f.print("  ", method.localName, ": {");
    f.print("    path: ", f.string(`/${service.typeName}/${method.name}`), ",");
    f.print("    requestStream: ", isClientStreaming(method), ",");
    f.print("    responseStream: ", isServerStreaming(method), ",");
    f.print("    requestSerialize: (value: ", initShape(f, method, "input"), "): Buffer =>");
    f.print("      ", bufferOf, "(", toBinary, "(", input, ", ", create, "(", input, ", value))),");
    f.print(
      "    requestDeserialize: (bytes: Buffer): ",
      f.importShape(method.input),
      " => ",
      fromBinary,
      "(",
      input,
      ", bytes),",
    );
    f.print("    responseSerialize: (value: ", initShape(f, method, "output"), "): Buffer =>");
    f.print("      ", bufferOf, "(", toBinary, "(", output, ", ", create, "(", output, ", value))),");
    f.print(
      "    responseDeserialize: (bytes: Buffer): ",
      f.importShape(method.output),
      " => ",
      fromBinary,
      "(",
      output,
      ", bytes),",
    );
    f.print("    originalName: ", f.string(method.name), ",");
    f.print("  },");
  }
  f.print("} as const;");
  f.print();
}

/** The server side: one async function per method, taking the request and a call context. */
function printHandlers(f: GeneratedFile, service: DescService): void {
  const context = f.import("CallContext", runtimePackage, true);
  f.print(f.jsDoc(service));
  f.print(f.export("interface", `${service.name}Handlers`), " {");
  for (const method of service.methods) {
    const request = isClientStreaming(method)
      ? ["requests: AsyncIterable<", f.importShape(method.input), ">"]
      : ["request: ", f.importShape(method.input)];
    const reply = initShape(f, method, "output");
    const result = isServerStreaming(method) ? ["AsyncIterable<", reply, ">"] : ["Promise<", reply, ">"];
    f.print(f.jsDoc(method, "  "));
    f.print("  ", method.localName, "(", request, ", context: ", context, "): ", result, ";");
  }
  f.print("}");
  f.print();
}

/** The client side: one async function per method, taking the request and call options. */
function printClient(f: GeneratedFile, service: DescService): void {
  const options = f.import("CallOptions", runtimePackage, true);
  f.print(f.jsDoc(`A typed client of ${service.typeName}.`));
  f.print(f.export("interface", `${service.name}Client`), " {");
  for (const method of service.methods) {
    const init = initShape(f, method, "input");
    const request = isClientStreaming(method) ? ["requests: AsyncIterable<", init, ">"] : ["request: ", init];
    const reply = f.importShape(method.output);
    const result = isServerStreaming(method) ? ["AsyncIterable<", reply, ">"] : ["Promise<", reply, ">"];
    f.print(f.jsDoc(method, "  "));
    f.print("  ", method.localName, "(", request, ", options?: ", options, "): ", result, ";");
  }
  f.print("}");
  f.print();
}

/** Ties descriptor, definition, handlers and client together for the runtime, and the factory. */
function printBinding(f: GeneratedFile, service: DescService): void {
  const binding = f.import("ServiceBinding", runtimePackage, true);
  const transport = f.import("ClientTransport", runtimePackage, true);
  const createClient = f.import("createClient", runtimePackage);
  const desc = f.importSchema(service);
  const name = service.name;
  f.print(f.jsDoc(`${service.typeName} as Weft serves and calls it.`));
  f.print(f.export("const", `${name}Binding`), ": ", binding, "<", name, "Handlers, ", name, "Client> = {");
  f.print("  desc: ", desc, ",");
  f.print("  definition: ", name, "Definition,");
  f.print("};");
  f.print();
  f.print(f.jsDoc(`Creates a typed client of ${service.typeName} over the given transport.`));
  f.print(f.export("function", `create${name}Client`), "(transport: ", transport, "): ", name, "Client {");
  f.print("  return ", createClient, "(", name, "Binding, transport);");
  f.print("}");
  f.print();
}

function initShape(f: GeneratedFile, method: DescMethod, side: "input" | "output") {
  const schema = f.importSchema(method[side], true);
  const shape = f.import("MessageInitShape", "@bufbuild/protobuf", true);
  return [shape, "<typeof ", schema, ">"];
}

function isClientStreaming(method: DescMethod): boolean {
  return method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
}

function isServerStreaming(method: DescMethod): boolean {
  return method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
}
