import { describe, expect, test } from "vitest";
import { parsePathTemplate } from "../../src/transcode/path-template.ts";

describe("parsePathTemplate", () => {
  test.each([
    {
      template: "/v1/orders",
      segments: ["lit:v1", "lit:orders"],
      variables: [],
      verb: undefined,
    },
    { template: "/v1/orders/{id}", segments: ["lit:v1", "lit:orders", "*"], variables: ["id@2-3"], verb: undefined },
    {
      template: "/v1/orders/{id}:cancel",
      segments: ["lit:v1", "lit:orders", "*"],
      variables: ["id@2-3"],
      verb: "cancel",
    },
    {
      template: "/v1/products/{product.id}",
      segments: ["lit:v1", "lit:products", "*"],
      variables: ["product.id@2-3"],
      verb: undefined,
    },
    {
      template: "/v1/{name=shelves/*/books/*}",
      segments: ["lit:v1", "lit:shelves", "*", "lit:books", "*"],
      variables: ["name@1-5 multi"],
      verb: undefined,
    },
    { template: "/v1/files/{path=**}", segments: ["lit:v1", "lit:files", "**"], variables: ["path@2-3 multi"] },
    { template: "/v1/wild/*/x", segments: ["lit:v1", "lit:wild", "*", "lit:x"], variables: [] },
    { template: "/v1/wild/**", segments: ["lit:v1", "lit:wild", "**"], variables: [] },
    { template: "/v1/a/{x=*}", segments: ["lit:v1", "lit:a", "*"], variables: ["x@2-3"] },
    {
      template: "/v1/{name=projects/*}/things:batchGet",
      segments: ["lit:v1", "lit:projects", "*", "lit:things"],
      variables: ["name@1-3 multi"],
      verb: "batchGet",
    },
    { template: "/v1/things:watch", segments: ["lit:v1", "lit:things"], variables: [], verb: "watch" },
    { template: "/.well-known/jwks.json", segments: ["lit:.well-known", "lit:jwks.json"], variables: [] },
  ])("$template", ({ template, segments, variables, verb }) => {
    const parsed = parsePathTemplate(template);
    expect(
      parsed.segments.map((s) => (s.kind === "literal" ? `lit:${s.value}` : s.kind === "wildcard" ? "*" : "**")),
    ).toEqual(segments);
    expect(parsed.variables.map((v) => `${v.fieldPath}@${v.start}-${v.end}${v.multiSegment ? " multi" : ""}`)).toEqual(
      variables,
    );
    expect(parsed.verb).toBe(verb);
  });

  test.each([
    ["v1/orders", 'expected "/"'],
    ["/", "empty segment"],
    ["/v1//orders", "empty segment"],
    ["/v1/**/orders", `"**" must be the last segment`],
    ["/v1/{id", "unclosed"],
    ["/v1/{a/b}", "bad field path"],
    ["/v1/{1x}", "bad field path"],
    ["/v1/{a={b}}", "variables cannot nest"],
    ["/v1/{id}/{id}", "bound twice"],
    ["/v1/orders:", "empty segment"],
    ["/v1/orders:a:b", 'unexpected ":"'],
    ["/v1/orders}", 'unexpected "}"'],
  ])("rejects %s", (template, reason) => {
    expect(() => parsePathTemplate(template)).toThrow(reason);
  });
});
