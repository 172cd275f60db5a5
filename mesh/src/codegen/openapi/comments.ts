import type { AnyDesc, DescFile } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";

/**
 * The leading comment of a declaration as plain text, or undefined when there is none. Proto
 * comments are `// text`, so each line starts with the one space after the slashes; that space
 * is dropped and line breaks are kept (Markdown renders them as soft breaks).
 */
export function leadingComment(desc: Exclude<AnyDesc, DescFile>): string | undefined {
  const leading = getComments(desc).leading;
  if (leading === undefined) return undefined;
  const text = leading
    .split("\n")
    .map((line) => (line.startsWith(" ") ? line.slice(1) : line))
    .join("\n")
    .trim();
  return text === "" ? undefined : text;
}

/** The first sentence of a description, on one line: what an operation's `summary` shows. */
export function firstSentence(description: string): string {
  const oneLine = description.replace(/\s*\n\s*/g, " ");
  const end = oneLine.search(/\.(\s|$)/);
  return end < 0 ? oneLine : oneLine.slice(0, end + 1);
}

/** Joins description parts that exist with a blank line, or undefined if none does. */
export function joinDescriptions(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== "");
  return present.length === 0 ? undefined : present.join("\n\n");
}
