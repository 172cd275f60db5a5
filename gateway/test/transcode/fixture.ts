// Loads the test-only fixture service (proto/weft/transcode/v1/fixture.proto) by compiling it
// with buf at test time, so the descriptors always match the .proto beside the tests. The shop's
// buf.yaml is left alone: an inline config names this folder and the googleapis folder as modules.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createFileRegistry, type DescService, type FileRegistry, fromBinary, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createTranscodeRegistry, RestRouter } from "../../src/index.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const googleapis = "node_modules/google-proto-files";

const bufConfig = {
  version: "v2",
  modules: [
    { path: "gateway/test/transcode/proto" },
    {
      path: googleapis,
      // As in the root buf.yaml: the top-level google.api files, without the API-specific folders
      // whose imports (google.longrunning, ...) are not shipped.
      includes: [`${googleapis}/google/api`],
      excludes: ["apikeys", "cloudquotas", "expr", "servicecontrol", "servicemanagement", "serviceusage"].map(
        (folder) => `${googleapis}/google/api/${folder}`,
      ),
    },
  ],
};

export interface Fixture {
  readonly files: FileRegistry;
  readonly service: DescService;
  readonly router: RestRouter;
  readonly registry: Registry;
}

let cached: Fixture | undefined;

export function loadFixture(): Fixture {
  if (cached !== undefined) return cached;
  const bytes = execFileSync(
    `${root}node_modules/.bin/buf`,
    [
      "build",
      ".",
      "--config",
      JSON.stringify(bufConfig),
      "--path",
      "gateway/test/transcode/proto/weft",
      "-o",
      "-#format=binpb",
    ],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  );
  const files = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const service = files.getService("weft.transcode.v1.FixtureService");
  if (service === undefined) throw new Error("fixture.proto has no FixtureService");
  cached = { files, service, router: new RestRouter([service]), registry: createTranscodeRegistry([service]) };
  return cached;
}

/** A message type of the fixture by its short name. */
export function fixtureMessage(name: string) {
  const message = loadFixture().files.getMessage(`weft.transcode.v1.${name}`);
  if (message === undefined) throw new Error(`fixture.proto has no message ${name}`);
  return message;
}
