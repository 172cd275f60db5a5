import { type Env, integer, readSettings, type Setting } from "@weft/mesh";

/** The payments service's own settings, read once at start. */
export interface PaymentsSettings {
  /** Share of `tok_flaky` charges the simulated provider fails transiently (0 never, 1 always). */
  flakyFailureRate: number;
  /**
   * How long a request that claimed an idempotency key is trusted to be asking the provider;
   * past it (its process died) the next request with the key takes over. Longer than any
   * provider call may take.
   */
  chargeClaimMs: number;
}

function fraction(fallback: number): Setting<number> {
  return {
    expected: "a number from 0 to 1",
    fallback,
    parse: (raw) => {
      if (!/^\d+(\.\d+)?$/.test(raw)) return undefined;
      const value = Number(raw);
      return value <= 1 ? value : undefined;
    },
  };
}

export function paymentsSettingsFromEnv(env: Env): PaymentsSettings {
  return readSettings<PaymentsSettings>(
    {
      flakyFailureRate: ["PAYMENTS_FLAKY_FAILURE_RATE", fraction(0.5)],
      chargeClaimMs: ["PAYMENTS_CHARGE_CLAIM_MS", integer(30_000, 100, 600_000)],
    },
    env,
  );
}
