// A form for any protobuf message, from the schema the console derives from the descriptors. It
// edits the message's proto3 JSON directly: what the form shows is what is sent.
import { useState } from "preact/hooks";
import type { FieldSchema, MessageSchema } from "../api.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schemas = Record<string, MessageSchema>;

const numeric = new Set(["double", "float", "int32", "uint32", "sint32", "fixed32", "sfixed32"]);
/** 64-bit integers travel as strings in proto3 JSON (JavaScript numbers lose precision). */
const wide = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

export function MessageForm(props: {
  schemas: Schemas;
  typeName: string;
  value: Record<string, Json>;
  onChange: (value: Record<string, Json>) => void;
  depth?: number;
}) {
  const schema = props.schemas[props.typeName];
  if (!schema)
    return <JsonArea value={props.value} onChange={(v) => props.onChange((v ?? {}) as Record<string, Json>)} />;
  if (schema.fields.length === 0) return <p class="muted small">(no fields)</p>;
  const set = (name: string, value: Json | undefined) => {
    const next = { ...props.value };
    if (value === undefined) delete next[name];
    else next[name] = value;
    props.onChange(next);
  };
  return (
    <div class="message-form">
      {schema.fields.map((field) => (
        <FieldRow
          key={field.name}
          field={field}
          schemas={props.schemas}
          value={props.value[field.name]}
          onChange={(v) => set(field.name, v)}
          depth={props.depth ?? 0}
        />
      ))}
    </div>
  );
}

function FieldRow(props: {
  field: FieldSchema;
  schemas: Schemas;
  value: Json | undefined;
  onChange: (value: Json | undefined) => void;
  depth: number;
}) {
  const { field } = props;
  const label = (
    <div class="field-label" title={field.protoName}>
      {field.name}
      {field.required && <span class="required">*</span>}
      <span class="field-type">{typeLabel(field)}</span>
      {field.oneof && <span class="muted small"> oneof {field.oneof}</span>}
    </div>
  );
  if (field.cardinality === "list") {
    const items = Array.isArray(props.value) ? props.value : [];
    return (
      <div class="field field-list" data-field={field.name}>
        {label}
        {items.map((item, i) => (
          <div class="list-item" key={i}>
            <Value
              field={field}
              schemas={props.schemas}
              value={item}
              depth={props.depth}
              onChange={(v) => props.onChange(items.map((x, j) => (j === i ? (v ?? null) : x)))}
            />
            <button
              type="button"
              class="small-button"
              onClick={() => props.onChange(items.length === 1 ? undefined : items.filter((_, j) => j !== i))}
            >
              remove
            </button>
          </div>
        ))}
        <button
          type="button"
          class="small-button"
          onClick={() => props.onChange([...items, initial(field, props.schemas)])}
        >
          + add {field.name}
        </button>
      </div>
    );
  }
  if (field.cardinality === "map") {
    const entries = Object.entries(
      typeof props.value === "object" && props.value !== null && !Array.isArray(props.value) ? props.value : {},
    );
    const write = (next: Array<[string, Json]>) =>
      props.onChange(next.length === 0 ? undefined : Object.fromEntries(next));
    return (
      <div class="field field-map" data-field={field.name}>
        {label}
        {entries.map(([key, item], i) => (
          <div class="list-item" key={i}>
            <input
              class="map-key"
              value={key}
              placeholder="key"
              onInput={(e) => write(entries.map((x, j) => (j === i ? [e.currentTarget.value, x[1]] : x)))}
            />
            <Value
              field={field}
              schemas={props.schemas}
              value={item}
              depth={props.depth}
              onChange={(v) => write(entries.map((x, j) => (j === i ? [x[0], v ?? null] : x)))}
            />
            <button type="button" class="small-button" onClick={() => write(entries.filter((_, j) => j !== i))}>
              remove
            </button>
          </div>
        ))}
        <button
          type="button"
          class="small-button"
          onClick={() => write([...entries, [`key${entries.length + 1}`, initial(field, props.schemas)]])}
        >
          + add entry
        </button>
      </div>
    );
  }
  return (
    <div class="field" data-field={field.name}>
      {label}
      <Value field={field} schemas={props.schemas} value={props.value} depth={props.depth} onChange={props.onChange} />
    </div>
  );
}

function Value(props: {
  field: FieldSchema;
  schemas: Schemas;
  value: Json | undefined;
  onChange: (value: Json | undefined) => void;
  depth: number;
}) {
  const { type } = props.field;
  const name = props.field.name;
  if (type.kind === "enum") {
    return (
      <select
        name={name}
        value={typeof props.value === "string" ? props.value : ""}
        onChange={(e) => props.onChange(e.currentTarget.value || undefined)}
      >
        <option value="">(unset)</option>
        {type.values.map((v) => (
          <option key={v}>{v}</option>
        ))}
      </select>
    );
  }
  if (type.kind === "scalar") {
    if (type.scalar === "bool") {
      return (
        <input
          type="checkbox"
          name={name}
          checked={props.value === true}
          onChange={(e) => props.onChange(e.currentTarget.checked || undefined)}
        />
      );
    }
    if (numeric.has(type.scalar)) {
      return (
        <input
          type="number"
          name={name}
          step={type.scalar === "double" || type.scalar === "float" ? "any" : "1"}
          value={typeof props.value === "number" ? String(props.value) : ""}
          onInput={(e) => props.onChange(e.currentTarget.value === "" ? undefined : Number(e.currentTarget.value))}
        />
      );
    }
    return (
      <input
        name={name}
        class={wide.has(type.scalar) ? "mono" : ""}
        placeholder={wide.has(type.scalar) ? "integer" : type.scalar === "bytes" ? "base64" : ""}
        value={typeof props.value === "string" ? props.value : ""}
        onInput={(e) => props.onChange(e.currentTarget.value === "" ? undefined : e.currentTarget.value)}
      />
    );
  }
  switch (type.wellKnown) {
    case "timestamp":
    case "duration":
    case "field_mask":
      return (
        <input
          name={name}
          class="mono"
          placeholder={
            type.wellKnown === "timestamp"
              ? "2030-01-01T00:00:00Z"
              : type.wellKnown === "duration"
                ? "1.5s"
                : "path.one,path.two"
          }
          value={typeof props.value === "string" ? props.value : ""}
          onInput={(e) => props.onChange(e.currentTarget.value === "" ? undefined : e.currentTarget.value)}
        />
      );
    case "wrapper":
      return (
        <input
          name={name}
          value={props.value === undefined ? "" : String(props.value)}
          onInput={(e) => props.onChange(e.currentTarget.value === "" ? undefined : e.currentTarget.value)}
        />
      );
    case "struct":
    case "value":
    case "list_value":
    case "any":
      return <JsonArea value={props.value} onChange={props.onChange} />;
    case "empty":
      return <span class="muted small">(empty message)</span>;
    default:
      if (props.depth > 5) return <JsonArea value={props.value} onChange={props.onChange} />;
      return (
        <fieldset class="nested">
          <MessageForm
            schemas={props.schemas}
            typeName={type.message}
            value={
              typeof props.value === "object" && props.value !== null && !Array.isArray(props.value) ? props.value : {}
            }
            onChange={(v) => props.onChange(Object.keys(v).length === 0 ? undefined : v)}
            depth={props.depth + 1}
          />
        </fieldset>
      );
  }
}

export function JsonArea(props: {
  value: unknown;
  onChange: (value: Json | undefined) => void;
  rows?: number;
  name?: string;
}) {
  const [text, setText] = useState(props.value === undefined ? "" : JSON.stringify(props.value, null, 2));
  const [bad, setBad] = useState(false);
  const [last, setLast] = useState(props.value);
  if (props.value !== last) {
    // Changed from outside (the form): show it.
    setLast(props.value);
    setText(props.value === undefined ? "" : JSON.stringify(props.value, null, 2));
  }
  return (
    <textarea
      name={props.name}
      class={`json-area${bad ? " invalid" : ""}`}
      rows={props.rows ?? 4}
      value={text}
      onInput={(e) => {
        const value = e.currentTarget.value;
        setText(value);
        try {
          const parsed = value.trim() === "" ? undefined : (JSON.parse(value) as Json);
          setBad(false);
          setLast(parsed);
          props.onChange(parsed);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}

function initial(field: FieldSchema, schemas: Schemas): Json {
  const { type } = field;
  if (type.kind === "enum") return type.values[1] ?? type.values[0] ?? "";
  if (type.kind === "scalar") return type.scalar === "bool" ? false : numeric.has(type.scalar) ? 0 : "";
  return type.wellKnown || !schemas[type.message] ? "" : {};
}

function typeLabel(field: FieldSchema): string {
  const t = field.type;
  const base =
    t.kind === "scalar"
      ? t.scalar
      : t.kind === "enum"
        ? t.enum.slice(t.enum.lastIndexOf(".") + 1)
        : t.message.slice(t.message.lastIndexOf(".") + 1);
  return field.cardinality === "list"
    ? `${base}[]`
    : field.cardinality === "map"
      ? `map<${field.mapKey}, ${base}>`
      : base;
}
