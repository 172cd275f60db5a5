// Thins a bundle's source map to the code the app and Weft wrote. Node (--enable-source-maps) turns
// every mapping of a map into an array the first time a stack trace is formatted: for a workload's
// full map that is over half a million arrays, about 60 MB in every process. Dependencies' lines
// are rarely what a stack trace should name, so their mappings are replaced by "no source" marks
// (one per run), which make Node print the bundle's own position for those frames instead of
// attributing them to the nearest mapped line.
import { readFileSync, writeFileSync } from "node:fs";

interface RawSourceMap {
  version: number;
  sources: string[];
  names?: string[];
  mappings: string;
  [key: string]: unknown;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const digitOf = new Map([...alphabet].map((char, index) => [char, index]));

/** Decodes one segment's base64 VLQ fields. */
function decodeSegment(text: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = digitOf.get(char);
    if (digit === undefined) throw new Error(`source map: bad mapping character ${JSON.stringify(char)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

function encodeValue(value: number): string {
  let rest = value < 0 ? (-value << 1) | 1 : value << 1;
  let text = "";
  do {
    let digit = rest & 31;
    rest >>>= 5;
    if (rest > 0) digit |= 32;
    text += alphabet[digit];
  } while (rest > 0);
  return text;
}

/**
 * Keeps the mappings whose source `keep` accepts; the rest become "no source" marks. Returns the
 * thinned map (sources and names unchanged, so indices stay valid).
 */
export function thinSourceMap(map: RawSourceMap, keep: (source: string) => boolean): RawSourceMap {
  const kept = map.sources.map(keep);
  // Absolute values carried across the whole file (all fields but the column are relative to the
  // previous segment anywhere before; the column to the previous segment on the same line).
  let source = 0;
  let line = 0;
  let column = 0;
  let name = 0;
  // The same for what is written.
  let outSource = 0;
  let outLine = 0;
  let outColumn = 0;
  let outName = 0;
  const lines = map.mappings.split(";").map((lineText) => {
    let generated = 0;
    let outGenerated = 0;
    let inDroppedRun = false;
    const segments: string[] = [];
    for (const segmentText of lineText === "" ? [] : lineText.split(",")) {
      const fields = decodeSegment(segmentText);
      generated += fields[0] ?? 0;
      if (fields.length >= 4) {
        source += fields[1]!;
        line += fields[2]!;
        column += fields[3]!;
        if (fields.length >= 5) name += fields[4]!;
      }
      if (fields.length >= 4 && kept[source]) {
        let text = encodeValue(generated - outGenerated);
        text += encodeValue(source - outSource) + encodeValue(line - outLine) + encodeValue(column - outColumn);
        if (fields.length >= 5) {
          text += encodeValue(name - outName);
          outName = name;
        }
        outSource = source;
        outLine = line;
        outColumn = column;
        outGenerated = generated;
        segments.push(text);
        inDroppedRun = false;
      } else if (!inDroppedRun) {
        segments.push(encodeValue(generated - outGenerated));
        outGenerated = generated;
        inDroppedRun = true;
      }
    }
    return segments.join(",");
  });
  return { ...map, mappings: lines.join(";") };
}

/** The app's own sources and Weft's (@weft/* also when installed under node_modules). */
export function isOwnSource(source: string): boolean {
  return !source.includes("node_modules/") || source.includes("node_modules/@weft/");
}

/** Keeps only the mappings of the app's and Weft's sources (isOwnSource), in place. */
export function thinSourceMapFile(file: string): void {
  const map = JSON.parse(readFileSync(file, "utf8")) as RawSourceMap;
  writeFileSync(file, JSON.stringify(thinSourceMap(map, isOwnSource)));
}
