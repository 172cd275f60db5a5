// The shop's dev.seed module (weft.app.yaml): `weft dev` runs it once everything is up, with
// WEFT_GATEWAY_URL set. It fills an empty catalog and says how to try the shop.
import { loadApp } from "@weft/mesh/app";
import { devAdmin, seedDemoCatalog } from "./demo-catalog.ts";

const gatewayUrl = process.env.WEFT_GATEWAY_URL;
if (!gatewayUrl) throw new Error("WEFT_GATEWAY_URL is not set (weft dev sets it)");
const admin = devAdmin(loadApp());
const products = await seedDemoCatalog(gatewayUrl, admin);
const url = gatewayUrl.replace("127.0.0.1", "localhost");
process.stdout.write(
  [
    `${products} products in the catalog; the admin (dev only) is ${admin.email} / ${admin.password}`,
    `try: curl -s ${url}/v1/products`,
    `     curl -s -X POST ${url}/v1/auth/signup -H 'content-type: application/json' -d '{"email":"you@example.com","password":"correct horse battery","displayName":"You"}'`,
    "",
  ].join("\n"),
);
