// In-memory fakes of the services orders calls, served over the real mesh (mTLS, istio/ policies)
// under their real workload names. They keep the proto contracts orders relies on: idempotency
// by key and by state, and the documented error reasons.
import type { CatalogServiceHandlers } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import type { IdentityServiceHandlers } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { ReservationState } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import type { InventoryServiceHandlers } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { PaymentStatus } from "@weft/gen/shop/payments/v1/payments_pb.js";
import type { PaymentServiceHandlers } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { Code, errorWithReason, RpcError } from "@weft/mesh";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { v7 as uuidv7 } from "uuid";

const unimplemented = async (): Promise<never> => {
  throw new RpcError(Code.UNIMPLEMENTED, "not in the fake");
};

export class FakeCatalog {
  readonly products = new Map<string, { priceMinor: bigint; currency: string; active: boolean }>();

  add(priceMinor: bigint, options: { currency?: string; active?: boolean } = {}): string {
    const id = uuidv7();
    this.products.set(id, { priceMinor, currency: options.currency ?? "USD", active: options.active ?? true });
    return id;
  }

  handlers(): CatalogServiceHandlers {
    return {
      createProduct: unimplemented,
      updateProduct: unimplemented,
      getProduct: unimplemented,
      listProducts: unimplemented,
      batchGetProducts: async (request) => {
        const unknown = request.ids.filter((id) => !this.products.has(id));
        if (unknown.length > 0) throw new RpcError(Code.NOT_FOUND, `products not found: ${unknown.join(", ")}`);
        return {
          products: request.ids.map((id) => {
            const p = this.products.get(id)!;
            return { id, name: id, price: { amountMinor: p.priceMinor, currency: p.currency }, active: p.active };
          }),
        };
      },
    };
  }
}

interface FakeReservation {
  id: string;
  orderId: string;
  lines: { productId: string; quantity: number }[];
  state: ReservationState;
}

export class FakeInventory {
  readonly available = new Map<string, number>();
  readonly reservations = new Map<string, FakeReservation>();
  private readonly byKey = new Map<string, string>();
  calls: string[] = [];

  stock(productId: string, units: number): void {
    this.available.set(productId, units);
  }

  reservationOf(orderId: string): FakeReservation | undefined {
    return [...this.reservations.values()].find((r) => r.orderId === orderId);
  }

  private message(r: FakeReservation) {
    return { reservation: { id: r.id, orderId: r.orderId, lines: r.lines, state: r.state } };
  }

  private find(id: string): FakeReservation {
    const r = this.reservations.get(id);
    if (r === undefined) throw new RpcError(Code.NOT_FOUND, `reservation ${id} not found`);
    return r;
  }

  handlers(): InventoryServiceHandlers {
    return {
      getStock: unimplemented,
      adjustStock: unimplemented,
      reserve: async (request) => {
        this.calls.push(`reserve ${request.idempotencyKey}`);
        const existing = this.byKey.get(request.idempotencyKey);
        if (existing !== undefined) return this.message(this.find(existing));
        for (const line of request.lines) {
          if ((this.available.get(line.productId) ?? 0) < line.quantity) {
            throw errorWithReason(Code.FAILED_PRECONDITION, "INSUFFICIENT_STOCK", "not enough stock", {
              metadata: { product_id: line.productId },
            });
          }
        }
        for (const line of request.lines) {
          this.available.set(line.productId, this.available.get(line.productId)! - line.quantity);
        }
        const r: FakeReservation = {
          id: uuidv7(),
          orderId: request.orderId,
          lines: request.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
          state: ReservationState.ACTIVE,
        };
        this.reservations.set(r.id, r);
        this.byKey.set(request.idempotencyKey, r.id);
        return this.message(r);
      },
      release: async (request) => {
        this.calls.push(`release ${request.idempotencyKey}`);
        const r = this.find(request.reservationId);
        if (r.state === ReservationState.COMMITTED || r.state === ReservationState.RESTOCKED) {
          throw errorWithReason(Code.FAILED_PRECONDITION, "RESERVATION_COMMITTED", "committed");
        }
        if (r.state === ReservationState.ACTIVE) {
          r.state = ReservationState.RELEASED;
          for (const l of r.lines) this.available.set(l.productId, this.available.get(l.productId)! + l.quantity);
        }
        return this.message(r);
      },
      commit: async (request) => {
        this.calls.push(`commit ${request.idempotencyKey}`);
        const r = this.find(request.reservationId);
        if (r.state === ReservationState.ACTIVE) r.state = ReservationState.COMMITTED;
        else if (r.state !== ReservationState.COMMITTED) {
          throw errorWithReason(Code.FAILED_PRECONDITION, "RESERVATION_NOT_ACTIVE", "not active");
        }
        return this.message(r);
      },
      restock: async (request) => {
        this.calls.push(`restock ${request.idempotencyKey}`);
        const r = this.find(request.reservationId);
        if (r.state === ReservationState.COMMITTED) {
          r.state = ReservationState.RESTOCKED;
          for (const l of r.lines) this.available.set(l.productId, this.available.get(l.productId)! + l.quantity);
        } else if (r.state !== ReservationState.RESTOCKED) {
          throw errorWithReason(Code.FAILED_PRECONDITION, "RESERVATION_NOT_COMMITTED", "not committed");
        }
        return this.message(r);
      },
      getReservation: async (request) => this.message(this.find(request.id)),
    };
  }
}

interface FakePayment {
  id: string;
  orderId: string;
  amountMinor: bigint;
  currency: string;
  refundedMinor: bigint;
  status: PaymentStatus;
  failureReason: string;
}

export class FakePayments {
  readonly payments = new Map<string, FakePayment>();
  private readonly byChargeKey = new Map<string, string>();
  private readonly refundKeys = new Set<string>();
  /** tok_flaky: how many provider calls still fail (UNAVAILABLE) before one succeeds. */
  flakyFailuresLeft = 0;
  /** Runs after a charge is recorded, before it is answered: block here to lose the answer. */
  afterCharge: ((orderId: string, signal: AbortSignal) => Promise<void>) | undefined;
  /** Runs before a charge is looked at: hold the saga at the charge step. */
  beforeCharge: ((orderId: string) => Promise<void>) | undefined;
  chargeCalls = 0;

  succeededFor(orderId: string): FakePayment[] {
    return [...this.payments.values()].filter((p) => p.orderId === orderId && p.status !== PaymentStatus.FAILED);
  }

  private message(p: FakePayment) {
    return {
      id: p.id,
      orderId: p.orderId,
      amount: { amountMinor: p.amountMinor, currency: p.currency },
      refunded: { amountMinor: p.refundedMinor, currency: p.currency },
      status: p.status,
      failureReason: p.failureReason,
    };
  }

  handlers(): PaymentServiceHandlers {
    return {
      charge: async (request, context) => {
        this.chargeCalls += 1;
        await this.beforeCharge?.(request.orderId);
        const existing = this.byChargeKey.get(request.idempotencyKey);
        if (existing !== undefined) {
          const p = this.payments.get(existing)!;
          if (p.status === PaymentStatus.FAILED) {
            throw errorWithReason(Code.FAILED_PRECONDITION, p.failureReason, "declined");
          }
          return { payment: this.message(p) };
        }
        if (request.paymentMethod === "tok_flaky" && this.flakyFailuresLeft > 0) {
          this.flakyFailuresLeft -= 1;
          throw errorWithReason(Code.UNAVAILABLE, "PROVIDER_UNAVAILABLE", "the provider is not answering");
        }
        const declined = request.paymentMethod === "tok_decline";
        const p: FakePayment = {
          id: uuidv7(),
          orderId: request.orderId,
          amountMinor: request.amount!.amountMinor,
          currency: request.amount!.currency,
          refundedMinor: 0n,
          status: declined ? PaymentStatus.FAILED : PaymentStatus.SUCCEEDED,
          failureReason: declined ? "CARD_DECLINED" : "",
        };
        this.payments.set(p.id, p);
        this.byChargeKey.set(request.idempotencyKey, p.id);
        if (declined) throw errorWithReason(Code.FAILED_PRECONDITION, "CARD_DECLINED", "the card was declined");
        await this.afterCharge?.(request.orderId, context.signal);
        return { payment: this.message(p) };
      },
      refund: async (request) => {
        const p = this.payments.get(request.paymentId);
        if (p === undefined) throw new RpcError(Code.NOT_FOUND, "payment not found");
        if (!this.refundKeys.has(request.idempotencyKey)) {
          if (p.status === PaymentStatus.FAILED) {
            throw errorWithReason(Code.FAILED_PRECONDITION, "PAYMENT_NOT_REFUNDABLE", "failed payment");
          }
          if (p.refundedMinor >= p.amountMinor) {
            throw errorWithReason(Code.FAILED_PRECONDITION, "REFUND_EXCEEDS_PAYMENT", "nothing left");
          }
          this.refundKeys.add(request.idempotencyKey);
          p.refundedMinor = p.amountMinor;
          p.status = PaymentStatus.REFUNDED;
        }
        return { payment: this.message(p) };
      },
      getPayment: async (request) => {
        const p = this.payments.get(request.id);
        if (p === undefined) throw new RpcError(Code.NOT_FOUND, "payment not found");
        return { payment: this.message(p) };
      },
    };
  }
}

export const issuer = "weft-identity";
export const audience = "weft";

/** Publishes an ES256 key over GetJwks and signs access tokens with it, as identity does. */
export class FakeIdentity {
  private constructor(
    private readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"],
    private readonly jwk: Record<string, string>,
  ) {}

  static async create(): Promise<FakeIdentity> {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = await exportJWK(publicKey);
    return new FakeIdentity(privateKey, {
      kty: jwk.kty!,
      crv: jwk.crv!,
      x: jwk.x!,
      y: jwk.y!,
      kid: "test-key",
      alg: "ES256",
      use: "sig",
    });
  }

  token(userId: string, role = "customer"): Promise<string> {
    return new SignJWT({ role, email: `${userId}@example.com` })
      .setProtectedHeader({ alg: "ES256", kid: "test-key" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(this.privateKey);
  }

  handlers(): IdentityServiceHandlers {
    return {
      signUp: unimplemented,
      login: unimplemented,
      getUser: unimplemented,
      getJwks: async () => ({ keys: [this.jwk] }),
    };
  }
}
