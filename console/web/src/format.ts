export function ms(value: number | undefined): string {
  if (value === undefined) return "–";
  if (value < 1) return `${(value * 1000).toFixed(0)} µs`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  if (value < 10_000) return `${value.toFixed(0)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}

export function rate(value: number): string {
  if (value === 0) return "0";
  if (value < 0.1) return `${(value * 60).toFixed(1)}/min`;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)}/s`;
}

export function percent(value: number): string {
  if (value === 0) return "0 %";
  return `${(value * 100).toFixed(value < 0.01 ? 2 : 1)} %`;
}

export function clock(timeMs: number): string {
  const d = new Date(timeMs);
  const today = new Date().toDateString() === d.toDateString();
  const time = `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
  return today ? time : `${d.toLocaleDateString()} ${time}`;
}

export function ago(timeMs: number): string {
  const s = Math.max(0, (Date.now() - timeMs) / 1000);
  if (s < 60) return `${s.toFixed(0)} s ago`;
  if (s < 3600) return `${(s / 60).toFixed(0)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

/** A stable colour per service, so a service looks the same in every view. */
export function serviceColor(service: string): string {
  let hash = 0;
  for (const c of service) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 60% 55%)`;
}

export function shortMethod(path: string): string {
  const [service = "", method = ""] = path.replace(/^\//, "").split("/");
  return `${service.slice(service.lastIndexOf(".") + 1)}/${method}`;
}
