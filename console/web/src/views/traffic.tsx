import { type RedSummary, useApi } from "../api.ts";
import { Empty, ErrorNote, Sparkline } from "../components/bits.tsx";
import { ms, percent, rate, serviceColor } from "../format.ts";
import { linkProps } from "../router.ts";

interface TrafficData {
  bucketMs: number;
  windowMs: number;
  methods: Array<RedSummary & { service: string; method: string }>;
}

export function TrafficView() {
  const { data, error } = useApi<TrafficData>("/api/traffic?windowMs=300000", 2_500);
  const services = [...new Set(data?.methods.map((m) => m.service) ?? [])];
  return (
    <section>
      <header class="view-head">
        <h1>Traffic</h1>
        <p class="hint">
          Rate, error ratio and latency of every method, as its server saw it, over the last 5 minutes (
          {(data?.bucketMs ?? 5000) / 1000} s points).
        </p>
      </header>
      <ErrorNote error={error} />
      {data && data.methods.length === 0 && <Empty>No server spans yet: call something.</Empty>}
      {services.map((service) => (
        <div class="card" key={service}>
          <h2>
            <span class="swatch" style={{ background: serviceColor(service) }} />
            {service}
          </h2>
          <table class="table traffic">
            <thead>
              <tr>
                <th>method</th>
                <th class="num">rate</th>
                <th>requests</th>
                <th class="num">errors</th>
                <th class="num">p50</th>
                <th class="num">p99</th>
                <th>p99 over time</th>
              </tr>
            </thead>
            <tbody>
              {data!.methods
                .filter((m) => m.service === service)
                .map((m) => (
                  <tr key={m.key} data-method={m.method}>
                    <td class="mono">
                      <a
                        {...linkProps(
                          `/traces?service=${encodeURIComponent(service)}&text=${encodeURIComponent(m.method.split("/").pop() ?? "")}`,
                        )}
                      >
                        {m.method.slice(m.method.lastIndexOf(".") + 1)}
                      </a>
                    </td>
                    <td class="num">{rate(m.rate)}</td>
                    <td>
                      <Sparkline values={m.series.map((p) => p.rate)} label={`${m.method} rate`} />
                    </td>
                    <td class={`num ${m.errorRatio > 0 ? "bad" : ""}`}>{percent(m.errorRatio)}</td>
                    <td class="num">{ms(m.p50Ms)}</td>
                    <td class="num">{ms(m.p99Ms)}</td>
                    <td>
                      <Sparkline values={m.series.map((p) => p.p99Ms)} color="var(--warn)" label={`${m.method} p99`} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
