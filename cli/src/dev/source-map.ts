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
const digitOf = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) digitOf[alphabet.charCodeAt(i)] = i;
const comma = 44;
const semicolon = 59;

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
 * Keeps the mappings whose source `keep` accepts; the rest become "no source" marks (one per run
 * of dropped segments on a line). Sources and names are unchanged, so their indices stay valid.
 * One pass over the base64 VLQ text: maps of bundles are megabytes, and this runs on every build.
 */
export function thinSourceMap(map: RawSourceMap, keep: (source: string) => boolean): RawSourceMap {
  const kept = map.sources.map(keep);
  const text = map.mappings;
  const out: string[] = [];
  // Absolute values read so far: the column restarts on each line, the rest run across the file.
  let generated = 0;
  let source = 0;
  let line = 0;
  let column = 0;
  let name = 0;
  // The same for what was written.
  let outGenerated = 0;
  let outSource = 0;
  let outLine = 0;
  let outColumn = 0;
  let outName = 0;
  let inDroppedRun = false;
  let firstOnLine = true;
  const fields = [0, 0, 0, 0, 0];
  let count = 0;
  let value = 0;
  let shift = 0;
  const endSegment = () => {
    if (count === 0) return;
    generated += fields[0]!;
    if (count >= 4) {
      source += fields[1]!;
      line += fields[2]!;
      column += fields[3]!;
      if (count >= 5) name += fields[4]!;
    }
    let segment: string | undefined;
    if (count >= 4 && kept[source]) {
      segment =
        encodeValue(generated - outGenerated) +
        encodeValue(source - outSource) +
        encodeValue(line - outLine) +
        encodeValue(column - outColumn);
      if (count >= 5) {
        segment += encodeValue(name - outName);
        outName = name;
      }
      outSource = source;
      outLine = line;
      outColumn = column;
      inDroppedRun = false;
    } else if (!inDroppedRun) {
      segment = encodeValue(generated - outGenerated);
      inDroppedRun = true;
    }
    if (segment !== undefined) {
      out.push(firstOnLine ? segment : `,${segment}`);
      outGenerated = generated;
      firstOnLine = false;
    }
    count = 0;
  };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === comma) {
      endSegment();
    } else if (code === semicolon) {
      endSegment();
      out.push(";");
      generated = 0;
      outGenerated = 0;
      inDroppedRun = false;
      firstOnLine = true;
    } else {
      const digit = code < 128 ? digitOf[code]! : -1;
      if (digit < 0) throw new Error(`source map: bad mapping character ${JSON.stringify(text[i])}`);
      value += (digit & 31) << shift;
      if (digit & 32) {
        shift += 5;
      } else {
        fields[count++] = value & 1 ? -(value >>> 1) : value >>> 1;
        value = 0;
        shift = 0;
      }
    }
  }
  endSegment();
  return { ...map, mappings: out.join("") };
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
