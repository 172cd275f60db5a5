// Faults are classified where they happen: text the mesh refuses before any handler runs, database
// errors caused by input answered as the caller's fault, and none of it opening a breaker.
import { create } from "@bufbuild/protobuf";
import { ErrorInfoSchema } from "@weft/gen/google/rpc/error_details_pb.js";
import { type SubmitRequest, SubmitRequestSchema } from "@weft/gen/weft/echo/v1/form_pb.js";
import {
  FormServiceBinding,
  type FormServiceClient,
  type FormServiceHandlers,
} from "@weft/gen/weft/echo/v1/form_weft.js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, statusOfDatabaseError, type TestDatabase } from "../../src/data/index.ts";
import { Code, provide, RpcError, textProblem, textViolations } from "../../src/index.ts";
import { address, TestWorld } from "../support/workloads.ts";

const nul = "\u0000";

describe("the text rule", () => {
  it.each([
    ["plain text", "Blue mug, 350 ml"],
    ["tabs and line breaks", "line one\r\nline two\tindented"],
    ["emoji and scripts", "😀 çà 日本語 \u{1F9F5}"],
    ["the replacement character (what invalid UTF-8 decodes to)", "a\uFFFDb"],
  ])("accepts %s", (_name, text) => {
    expect(textProblem(text)).toBeUndefined();
  });

  it.each([
    ["NUL", `a${nul}b`, /U\+0000 at 1/],
    ["escape", "\u001b[31mred", /U\+001B at 0/],
    ["vertical tab", "a\u000bb", /U\+000B/],
    ["DEL", "a\u007f", /U\+007F/],
    ["a C1 control (NEL)", "a\u0085", /U\+0085/],
    ["a lone high surrogate", "a\uD83D", /unpaired surrogate at 1/],
    ["a lone low surrogate", "\uDE00b", /unpaired surrogate at 0/],
  ])("refuses %s", (_name, text, description) => {
    expect(textProblem(text)).toMatch(description);
  });
});

describe("textViolations walks every string of a request by its descriptor", () => {
  const form = (init: Parameters<typeof create<typeof SubmitRequestSchema>>[1]) => create(SubmitRequestSchema, init);

  it("names each bad string by its proto field path", () => {
    const request = form({
      title: `t${nul}`,
      lines: [
        { name: "ok", notes: [{ text: "fine\nmulti-line" }, { text: `bad${nul}` }] },
        { name: `x${nul}`, quantity: 2 },
      ],
      labels: { good: "yes", [`k${nul}`]: "v", colour: `r${nul}` },
      linesByName: { first: { name: `n${nul}` } },
      contact: { case: "address", value: { name: `a${nul}` } },
      tags: ["a", "b", `c${nul}`],
      nickname: `nick${nul}`,
      extra: {
        fields: {
          note: { kind: { case: "stringValue", value: `s${nul}` } },
          list: {
            kind: {
              case: "listValue",
              value: { values: [{ kind: { case: "stringValue", value: `deep${nul}` } }] },
            },
          },
        },
      },
      blob: new Uint8Array([0, 0, 0]),
      counts: { 1: 0 },
    });
    expect(textViolations(SubmitRequestSchema, request).map((v) => v.field)).toEqual([
      "title",
      "lines[0].notes[1].text",
      "lines[1].name",
      `labels["k\\u0000"]`,
      `labels["colour"]`,
      `lines_by_name["first"].name`,
      "address.name",
      "tags[2]",
      "nickname",
      `extra.fields["note"].string_value`,
      `extra.fields["list"].list_value.values[0].string_value`,
    ]);
  });

  it("checks the string member of a oneof, and finds nothing in a clean request", () => {
    expect(textViolations(SubmitRequestSchema, form({ contact: { case: "email", value: `e${nul}` } }))).toEqual([
      { field: "email", description: "must not contain control characters (U+0000 at 1)" },
    ]);
    const clean = form({ title: "t", lines: [{ name: "n", notes: [{ text: "a\tb" }] }], labels: { k: "v" } });
    expect(textViolations(SubmitRequestSchema, clean)).toEqual([]);
  });

  it("stops after 20 violations however large the request", () => {
    const request = form({ tags: Array.from({ length: 10_000 }, () => nul) });
    expect(textViolations(SubmitRequestSchema, request)).toHaveLength(20);
  });
});

/** Maps what a handler's database said to the status the caller gets. */
describe("statusOfDatabaseError", () => {
  let database: TestDatabase;
  let sql: postgres.Sql;
  beforeAll(async () => {
    database = await createTestDatabase("faults");
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  const failureOf = async (query: Promise<unknown>) =>
    statusOfDatabaseError(
      await query.then(
        () => "ran",
        (e) => e,
      ),
    );

  it.each([
    ["text with a NUL", "select $1::text", [`a${nul}b`], Code.INVALID_ARGUMENT, "INVALID_VALUE", "22021"],
    ["a malformed number", "select $1::int", ["abc"], Code.INVALID_ARGUMENT, "INVALID_VALUE", "22P02"],
    ["a number out of range", "select $1::int", ["99999999999"], Code.INVALID_ARGUMENT, "INVALID_VALUE", "22003"],
    ["a year out of range", "select $1::timestamptz", ["+275760-09-13T00:00:00Z"], Code.INVALID_ARGUMENT],
  ])("%s is INVALID_ARGUMENT", async (_name, query, params, code, reason?, sqlState?) => {
    const status = await failureOf(sql.unsafe(query, params));
    expect(status?.code).toBe(code);
    if (reason !== undefined) expect(status?.reason).toBe(reason);
    if (sqlState !== undefined) expect(status?.findDetail(ErrorInfoSchema)?.metadata.sqlstate).toBe(sqlState);
    // The database's own words (which name values and tables) never reach the caller.
    expect(status?.rawMessage).toBe("the request holds a value that cannot be stored");
  });

  it("maps integrity violations, conflicts and unreachable databases, and leaves bugs alone", async () => {
    await sql`create table t (id int primary key, n int check (n >= 0))`;
    await sql`insert into t values (1, 1)`;
    expect((await failureOf(sql`insert into t values (1, 1)`))?.code).toBe(Code.ALREADY_EXISTS);
    const check = await failureOf(sql`insert into t values (2, -1)`);
    expect([check?.code, check?.reason]).toEqual([Code.FAILED_PRECONDITION, "CONSTRAINT_VIOLATION"]);
    expect((await failureOf(sql`select * from missing_table`))?.code).toBeUndefined(); // 42P01: our bug
    const unreachable = postgres("postgres://postgres@127.0.0.1:1/none", { max: 1, connect_timeout: 2 });
    expect((await failureOf(unreachable`select 1`))?.code).toBe(Code.UNAVAILABLE);
    await unreachable.end({ timeout: 1 });
    expect(statusOfDatabaseError(new Error("boom"))).toBeUndefined();
  });

  it("sees through drizzle's wrapper (the SQLSTATE is on the cause)", () => {
    const wrapped = new Error("Failed query: select", { cause: { code: "22P02", severity: "ERROR" } });
    expect(statusOfDatabaseError(wrapped)?.code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe("a served method", () => {
  const world = new TestWorld();
  let database: TestDatabase;
  let sql: postgres.Sql;
  let client: FormServiceClient;
  const seen: SubmitRequest[] = [];
  let bug = false;

  // Like a service: the title goes into a query (PostgreSQL refuses a NUL in text), the first
  // label is cast to an integer, and `bug` makes the handler fail as a bug would.
  const handlers: FormServiceHandlers = {
    async submit(request) {
      seen.push(request);
      if (bug) throw new TypeError("cannot read properties of undefined");
      await sql`select ${request.title}::text`;
      const number = request.labels.number;
      if (number !== undefined) await sql`select ${number}::int`;
      return { lines: request.lines.length };
    },
    async submitMany(requests) {
      let forms = 0;
      for await (const _ of requests) forms++;
      return { forms };
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase("served");
    sql = postgres(database.url, { max: 4, onnotice: () => {} });
    const server = await (await world.mesh("forms")).serve([provide(FormServiceBinding, handlers)]);
    // The edge's breaker settings: the mesh defaults (5 consecutive failures open it for 5 s).
    client = (await world.mesh("gateway", { retryMaxAttempts: 1 })).connect(FormServiceBinding, {
      target: address(server.port),
    });
  });
  afterAll(async () => {
    await world.close();
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  const failure = async (call: Promise<unknown>) => {
    const outcome = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(RpcError);
    return outcome as RpcError;
  };

  it("refuses a NUL in a nested repeated field with INVALID_ARGUMENT before the handler runs", async () => {
    seen.length = 0;
    const error = await failure(
      client.submit({ title: "ok", lines: [{ name: "a", notes: [{ text: "fine" }, { text: `bad${nul}` }] }] }),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations).toEqual([
      { field: "lines[0].notes[1].text", description: "must not contain control characters (U+0000 at 3)" },
    ]);
    expect(seen).toEqual([]);
  });

  it("checks every message of a client stream", async () => {
    async function* forms() {
      yield { form: { title: "one" } };
      yield { form: { labels: { colour: `red${nul}` } } };
    }
    const error = await failure(client.submitMany(forms()));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual([`form.labels["colour"]`]);
  });

  it("keeps the breaker closed after many NUL requests: the next good request succeeds", async () => {
    for (let i = 0; i < 12; i++) {
      expect((await failure(client.submit({ title: `attack${nul}${i}` }))).code).toBe(Code.INVALID_ARGUMENT);
    }
    await expect(client.submit({ title: "a normal request", lines: [{}] })).resolves.toEqual(
      expect.objectContaining({ lines: 1 }),
    );
  });

  it("answers a database data exception with INVALID_ARGUMENT, and the breaker stays closed", async () => {
    for (let i = 0; i < 8; i++) {
      const error = await failure(client.submit({ title: "t", labels: { number: "not a number" } }));
      expect([Code[error.code], error.reason]).toEqual(["INVALID_ARGUMENT", "INVALID_VALUE"]);
    }
    await expect(client.submit({ title: "fine", labels: { number: "42" } })).resolves.toBeDefined();
  });

  it("answers a bug with INTERNAL, which says nothing about the upstream's health either", async () => {
    bug = true;
    try {
      for (let i = 0; i < 8; i++) {
        const error = await failure(client.submit({ title: "t" }));
        expect([error.code, error.rawMessage]).toEqual([Code.INTERNAL, "internal error"]);
      }
    } finally {
      bug = false;
    }
    await expect(client.submit({ title: "fine" })).resolves.toBeDefined();
  });
});
