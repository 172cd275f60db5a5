// The shop's demo data for `weft dev` (scripts/seed-demo.ts) and the tests that drive a whole shop.
import type { App } from "@weft/mesh/app";

/** The development admin identity is started with under weft dev: its manifest's devSettings. */
export function devAdmin(app: App): { email: string; password: string } {
  const settings = app.service("identity")?.devSettings ?? {};
  const email = settings.ADMIN_EMAIL;
  const password = settings.ADMIN_PASSWORD;
  if (!email || !password)
    throw new Error("services/identity/weft.yaml: devSettings: ADMIN_EMAIL and ADMIN_PASSWORD are needed");
  return { email, password };
}

/** Demo products an empty catalog gets, with their stock. */
export const demoCatalog = [
  { name: "Weft Mug", description: "A mug for long builds.", priceMinor: 1200, stock: 50 },
  { name: "Mesh Hoodie", description: "Warm, with mTLS on the back.", priceMinor: 4900, stock: 20 },
  { name: "Sidecar Sticker Pack", description: "Ten stickers, zero proxies.", priceMinor: 500, stock: 200 },
  { name: "Saga Notebook", description: "Every step compensated.", priceMinor: 1500, stock: 5 },
] as const;

/** Logs the admin in and fills an empty catalog through the public REST API. Returns the product count. */
export async function seedDemoCatalog(gatewayUrl: string, admin: { email: string; password: string }): Promise<number> {
  const json = async (path: string, init: RequestInit = {}, token?: string) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const existing = (await json("/v1/products")) as { products?: unknown[] };
  if ((existing.products ?? []).length > 0) return existing.products?.length ?? 0;
  const login = (await json("/v1/auth/login", { method: "POST", body: JSON.stringify(admin) })) as {
    accessToken: string;
  };
  for (const item of demoCatalog) {
    const slug = item.name.toLowerCase().replaceAll(" ", "-");
    const created = (await json(
      `/v1/products?idempotencyKey=seed-${slug}`,
      {
        method: "POST",
        body: JSON.stringify({
          name: item.name,
          description: item.description,
          price: { amountMinor: String(item.priceMinor), currency: "USD" },
        }),
      },
      login.accessToken,
    )) as { product: { id: string } };
    await json(
      `/v1/inventory/${created.product.id}:adjust`,
      {
        method: "POST",
        body: JSON.stringify({ delta: String(item.stock), reason: "demo seed", idempotencyKey: `seed-${slug}` }),
      },
      login.accessToken,
    );
  }
  return demoCatalog.length;
}
