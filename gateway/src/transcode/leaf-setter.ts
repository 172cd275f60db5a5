// The compiled part of a path binding: most path variables name a top-level string field (an id),
// whose URL text is its value as it stands. Those are set directly; the others go through the
// proto3 JSON route (text → JSON → protobuf-es fromJson), which parses numbers, enums and
// well-known types with every range check.
import { type DescField, type Message, ScalarType } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";

/** Sets a leaf from its decoded URL text; false (and nothing set) when the body set it differently. */
export type LeafSetter = (message: Message, text: string) => boolean;

/**
 * A direct setter for a path of one singular string field with implicit presence outside any oneof
 * (set means non-empty, as `reflect().isSet` says), or undefined when the field needs the JSON route.
 */
export function directLeafSetter(fields: readonly DescField[]): LeafSetter | undefined {
  const [field] = fields;
  if (fields.length !== 1 || field === undefined) return undefined;
  if (field.fieldKind !== "scalar" || field.scalar !== ScalarType.STRING) return undefined;
  if (field.oneof !== undefined || field.presence !== FeatureSet_FieldPresence.IMPLICIT) return undefined;
  const key = field.localName;
  return (message, text) => {
    const record = message as unknown as Record<string, string>;
    const fromBody = record[key];
    if (fromBody !== "" && fromBody !== text) return false;
    record[key] = text;
    return true;
  };
}
