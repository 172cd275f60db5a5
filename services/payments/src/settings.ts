import { type Env, readSettings, type Setting } from "@weft/mesh";

/** The payments service's own settings, read once at start. */
export interface PaymentsSettings {
  /** Share of `tok_flaky` charges the simulated provider fails transiently (0 never, 1 always). */
  flakyFailureRate: number;
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
  return readSettings<PaymentsSettings>({ flakyFailureRate: ["PAYMENTS_FLAKY_FAILURE_RATE", fraction(0.5)] }, env);
}
