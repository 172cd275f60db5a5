import { create, type JsonValue, type Message } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { GetOrderResponseSchema, OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { describe, expect, test } from "vitest";
import { encodeRestResponse, type RestRoute } from "../../src/index.ts";
import { fixtureMessage, loadFixture } from "./fixture.ts";
import { shopRegistry, shopRouter } from "./shop.ts";

function fixtureRoute(rpc: string): RestRoute {
  const route = loadFixture()
    .router.routes()
    .find((r) => r.method.name === rpc);
  if (route === undefined) throw new Error(`no route for ${rpc}`);
  return route;
}

describe("encodeRestResponse", () => {
  test("the shop: lowerCamel names, enums by name, int64 as strings, timestamps RFC 3339, defaults included", () => {
    const route = shopRouter.routes().find((r) => r.method.name === "GetOrder")!;
    const response = create(GetOrderResponseSchema, {
      order: {
        id: "o-1",
        status: OrderStatus.CONFIRMED,
        lines: [{ productId: "p-1", quantity: 2, unitPrice: { amountMinor: 1234n, currency: "USD" } }],
        createTime: timestampFromMs(Date.UTC(2024, 0, 2, 3, 4, 5)),
      },
    });
    expect(encodeRestResponse(route, response, shopRegistry)).toEqual({
      order: {
        id: "o-1",
        userId: "",
        lines: [{ productId: "p-1", quantity: 2, unitPrice: { amountMinor: "1234", currency: "USD" } }],
        status: "ORDER_STATUS_CONFIRMED",
        statusReason: "",
        paymentId: "",
        createTime: "2024-01-02T03:04:05Z",
      },
    });
  });

  const thing = (init: Record<string, unknown>): Message => create(fixtureMessage("Thing"), init);

  test.each<{ rpc: string; response: () => Message; json: JsonValue }>([
    {
      rpc: "UpdateThing",
      response: () => create(fixtureMessage("UpdateThingResponse"), { thing: { id: "t-1", version: 3n }, etag: "e" }),
      json: {
        id: "t-1",
        displayName: "",
        kind: "KIND_UNSPECIFIED",
        version: "3",
        tags: [],
        counts: {},
        inners: [],
        data: "",
      },
    },
    // response_body naming an unset message field: an empty object.
    { rpc: "UpdateThing", response: () => create(fixtureMessage("UpdateThingResponse"), { etag: "e" }), json: {} },
    // response_body naming a repeated field: a bare JSON array.
    {
      rpc: "SetTags",
      response: () => create(fixtureMessage("SetTagsResponse"), { tags: ["a", "b"] }),
      json: ["a", "b"],
    },
    { rpc: "SetTags", response: () => create(fixtureMessage("SetTagsResponse")), json: [] },
    {
      // Any is written with its @type, resolved through the registry.
      rpc: "GetThing",
      response: () =>
        thing({
          id: "t",
          owner: { case: "ownerNumber", value: 0 },
          extra: {
            typeUrl: "type.googleapis.com/weft.transcode.v1.Inner",
            value: new Uint8Array([10, 1, 120]),
          },
        }),
      json: {
        id: "t",
        displayName: "",
        kind: "KIND_UNSPECIFIED",
        version: "0",
        tags: [],
        counts: {},
        inners: [],
        extra: { "@type": "type.googleapis.com/weft.transcode.v1.Inner", note: "x", level: 0 },
        data: "",
        ownerNumber: 0,
      },
    },
  ])("$rpc", ({ rpc, response, json }) => {
    expect(encodeRestResponse(fixtureRoute(rpc), response(), loadFixture().registry)).toEqual(json);
  });

  test("a message of the wrong type is a server bug, not a response", () => {
    expect(() =>
      encodeRestResponse(fixtureRoute("SetTags"), create(fixtureMessage("Thing")), loadFixture().registry),
    ).toThrow(TypeError);
  });
});
