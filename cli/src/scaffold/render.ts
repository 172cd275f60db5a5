// Copies a template folder (cli/templates/<kind>/) into a target folder: `__key__` in a path and
// `{{key}}` in a file's text become the value of `key`; the `.tmpl` every template file ends with
// is dropped, and a leading `dot-` becomes `.` (npm never packs a file named .gitignore).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { UsageError } from "../errors.ts";
import { packageRoot } from "../self.ts";

export type TemplateValues = Readonly<Record<string, string>>;

export interface RenderedFile {
  /** Path relative to the target folder, forward slashes. */
  path: string;
  content: string;
}

/** The folder of one template set. */
export function templateDir(kind: "app" | "service"): string {
  return join(packageRoot, "templates", kind);
}

function substitute(text: string, values: TemplateValues, pattern: RegExp, where: string): string {
  return text.replace(pattern, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${where}: unknown template key ${key}`);
    return value;
  });
}

/** Every file of a template set, rendered in memory (so nothing is written unless all of it renders). */
export function renderTemplates(dir: string, values: TemplateValues): RenderedFile[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const source = join(entry.parentPath, entry.name);
      const shown = relative(dir, source).split(sep).join("/");
      if (!shown.endsWith(".tmpl")) throw new Error(`${source}: a template file must end with .tmpl`);
      const path = substitute(shown.slice(0, -".tmpl".length), values, /__([A-Za-z]+)__/g, source)
        .split("/")
        .map((part) => (part.startsWith("dot-") ? `.${part.slice("dot-".length)}` : part))
        .join("/");
      return { path, content: substitute(readFileSync(source, "utf8"), values, /\{\{([A-Za-z]+)\}\}/g, source) };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Writes rendered files under `target`, refusing (before writing anything) if one already exists. */
export function writeNewFiles(target: string, files: readonly RenderedFile[]): void {
  const existing = files.find((file) => existsSync(join(target, file.path)));
  if (existing !== undefined) throw new UsageError(`${existing.path} already exists; nothing was written`);
  for (const file of files) {
    const path = join(target, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
