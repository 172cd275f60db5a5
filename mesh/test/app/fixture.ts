// Throwaway apps on disk for the manifest tests, and registries built from generated descriptors.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, createFileRegistry, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** A temporary folder holding the given files (path → content); remove() deletes it. */
export function appOnDisk(files: Record<string, string>): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), "weft-app-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The files and everything they import, as one FileDescriptorSet. */
export function descriptorSet(...files: DescFile[]) {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    for (const dependency of file.dependencies) visit(dependency);
    seen.set(file.name, file);
  };
  for (const file of files) visit(file);
  return create(FileDescriptorSetSchema, { file: [...seen.values()].map((file) => file.proto) });
}

export function registryOf(...files: DescFile[]): FileRegistry {
  return createFileRegistry(descriptorSet(...files));
}
