import type { CatalogServiceHandlers } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import {
  type CallContext,
  Code,
  type PageTokens,
  RpcError,
  requireRole,
  requireUser,
  Violations,
  validate,
} from "@weft/mesh";
import { productPageTokens } from "../domain/page-token.ts";
import { newProductFields, productProblems, updatableFields } from "../domain/product.ts";
import { effectivePageSize } from "../domain/search.ts";
import { parseUpdateMask } from "../domain/update-mask.ts";
import type { CatalogStore } from "../store/catalog-store.ts";
import { productInput, productMessage } from "./messages.ts";

export interface HandlerDeps {
  store: CatalogStore;
  /** Signs ListProducts' page tokens (the mesh's, keyed by MESH_PAGE_TOKEN_KEY). */
  pageTokens: PageTokens;
}

const limits = { maxKeyLength: 128, maxQueryLength: 200, maxBatch: 100 } as const;

/**
 * The CatalogService RPCs: authorize, validate, run the use case. Who may call which RPC at all
 * is the mesh policy's job (istio/authz/catalog.yaml): BatchGetProducts is for orders only.
 */
export function catalogHandlers({ store, pageTokens }: HandlerDeps): CatalogServiceHandlers {
  const pages = pageTokens.codec(productPageTokens);
  /** Whether the call is made for an admin; no token means an anonymous shopper, a bad one fails. */
  async function isAdmin(context: CallContext): Promise<boolean> {
    return (await context.user())?.role === "admin";
  }

  return {
    async createProduct(request, context) {
      requireRole(await requireUser(context), "admin");
      const v = new Violations();
      if (v.present("product", request.product)) {
        for (const p of productProblems(productInput(request.product), updatableFields)) v.add(p.field, p.description);
      }
      v.text("idempotency_key", request.idempotencyKey, { required: false, maxLength: limits.maxKeyLength });
      v.throwIfAny();
      const product = await store.create(newProductFields(productInput(request.product!)), request.idempotencyKey);
      return { product: productMessage(product) };
    },

    async updateProduct(request, context) {
      requireRole(await requireUser(context), "admin");
      const v = new Violations();
      const mask = parseUpdateMask(request.updateMask?.paths ?? []);
      if ("problems" in mask) for (const p of mask.problems) v.add(p.field, p.description);
      if (v.present("product", request.product)) {
        v.id("product.id", request.product.id);
        if ("fields" in mask) {
          for (const p of productProblems(productInput(request.product), mask.fields)) v.add(p.field, p.description);
        }
      }
      v.throwIfAny();
      const fields = "fields" in mask ? mask.fields : [];
      const product = await store.update(request.product!.id, productInput(request.product!), fields);
      if (!product) throw new RpcError(Code.NOT_FOUND, `product ${request.product!.id} not found`);
      return { product: productMessage(product) };
    },

    async getProduct(request, context) {
      validate((v) => v.id("id", request.id));
      const product = await store.get(request.id);
      // An inactive product does not exist for shoppers; admins see it to edit it.
      if (!product || (!product.active && !(await isAdmin(context)))) {
        throw new RpcError(Code.NOT_FOUND, `product ${request.id} not found`);
      }
      return { product: productMessage(product) };
    },

    async listProducts(request, context) {
      const v = new Violations();
      v.number("page_size", request.pageSize, { min: 0 });
      v.text("query", request.query, { required: false, maxLength: limits.maxQueryLength });
      const cursor = pages.decode(request.pageToken, v);
      if (cursor && (cursor.query !== request.query || cursor.includeInactive !== request.includeInactive))
        v.add("page_token", "was issued for a different query or include_inactive");
      v.throwIfAny();
      if (request.includeInactive) requireRole(await requireUser(context), "admin");
      const { products, more } = await store.page({
        query: request.query,
        includeInactive: request.includeInactive,
        after: cursor,
        size: effectivePageSize(request.pageSize),
      });
      const last = products.at(-1);
      return {
        products: products.map(productMessage),
        nextPageToken:
          more && last
            ? pages.encode({
                createdAtMs: last.createdAt.getTime(),
                id: last.id,
                query: request.query,
                includeInactive: request.includeInactive,
              })
            : "",
      };
    },

    async batchGetProducts(request) {
      const v = new Violations();
      if (request.ids.length === 0) v.add("ids", "must name at least one product");
      if (request.ids.length > limits.maxBatch) v.add("ids", `must name at most ${limits.maxBatch} products`);
      else for (const [i, id] of request.ids.entries()) v.id(`ids[${i}]`, id);
      v.throwIfAny();
      const found = await store.getMany([...new Set(request.ids)]);
      const missing = request.ids.filter((id) => !found.has(id));
      if (missing.length > 0)
        throw new RpcError(Code.NOT_FOUND, `products not found: ${[...new Set(missing)].join(", ")}`);
      return { products: request.ids.map((id) => productMessage(found.get(id)!)) };
    },
  };
}
