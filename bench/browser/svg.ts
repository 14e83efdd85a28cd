/** SVG charts for the report: latency distributions (CDF, log time axis) and delivery over time under faults. */

export interface Series {
  name: string;
  values: number[];
  color: string;
}

const W = 640;
const H = 360;
const L = 56;
const R = 16;
const T = 28;
const B = 48;

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function latencySvg(series: Series[]): string {
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const lo = all.length ? Math.max(0.1, Math.min(...all)) : 1;
  const hi = all.length ? Math.max(...all) : 100;
  const minExp = Math.floor(Math.log10(lo));
  const maxExp = Math.max(minExp + 1, Math.ceil(Math.log10(hi)));
  const x = (v: number): number => L + ((Math.log10(Math.max(v, 10 ** minExp)) - minExp) / (maxExp - minExp)) * (W - L - R);
  const y = (p: number): number => T + (1 - p) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">page -> page latency, CDF (log time axis)</text>`,
  ];
  for (let e = minExp; e <= maxExp; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) > maxExp + 1e-9) continue;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${T}" x2="${gx}" y2="${H - B}" stroke="#ddd"/>`);
      out.push(`<text x="${gx}" y="${H - B + 14}" text-anchor="middle">${v >= 1 ? v : v.toFixed(1)}</text>`);
    }
  }
  for (const p of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    out.push(`<line x1="${L}" y1="${y(p).toFixed(1)}" x2="${W - R}" y2="${y(p).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${L - 4}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end">${p}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 14}" text-anchor="middle">milliseconds (send call -> message event at the other page)</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const sorted = s.values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    if (sorted.length > 0) {
      const pts: string[] = [`${x(sorted[0]!).toFixed(1)},${y(0).toFixed(1)}`];
      sorted.forEach((v, k) => {
        pts.push(`${x(v).toFixed(1)},${y(k / sorted.length).toFixed(1)}`, `${x(v).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
      });
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    }
    out.push(`<rect x="${L + 10}" y="${T + 8 + i * 16}" width="12" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${L + 28}" y="${T + 13 + i * 16}">${esc(`${s.name} (n=${sorted.length})`)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** One system's deliveries: the first-arrival time of each distinct message, in seconds since the start. */
export interface DeliverySeries {
  name: string;
  color: string;
  /** Seconds since the start at which each distinct message first arrived (any order). */
  arrivals: number[];
}

/** A moment on the time axis worth marking (a fault, a reload, a worker stop). */
export interface DeliveryMarker {
  at: number;
  label: string;
  color?: string;
}

/**
 * Cumulative distinct messages delivered against seconds since the start, one step line per
 * system, a dashed line at `total` (everything sent) and a dotted vertical line per marker.
 * Marker labels are stacked in rows so neighbouring events stay readable.
 */
export function deliverySvg(options: { title: string; total: number; seconds: number; series: DeliverySeries[]; markers: DeliveryMarker[] }): string {
  const { title, total, series, markers } = options;
  const width = 760;
  const height = 420;
  const maxX = Math.max(1, options.seconds, ...series.flatMap((s) => s.arrivals), ...markers.map((m) => m.at));
  const maxY = Math.max(1, total, ...series.map((s) => s.arrivals.length));
  const x = (s: number): number => L + (Math.min(Math.max(s, 0), maxX) / maxX) * (width - L - R);
  // Marker labels: each on the first row where it does not overlap the previous label (~6 px a character).
  const rowEnds: number[] = [];
  const placed = [...markers]
    .sort((a, b) => a.at - b.at)
    .map((m) => {
      const w = 6 * m.label.length + 8;
      const right = x(m.at) > width * 0.7;
      const [from, to] = right ? [x(m.at) - w, x(m.at)] : [x(m.at), x(m.at) + w];
      let row = rowEnds.findIndex((end) => end < from);
      if (row === -1) row = rowEnds.push(to) - 1;
      else rowEnds[row] = to;
      return { m, row, right };
    });
  const top = 30 + 14 * Math.max(1, rowEnds.length);
  const y = (n: number): number => top + (1 - n / maxY) * (height - top - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  const step = niceStep(maxX / 8);
  for (let s = 0; s <= maxX + 1e-9; s += step) {
    out.push(`<line x1="${x(s).toFixed(1)}" y1="${top}" x2="${x(s).toFixed(1)}" y2="${height - B}" stroke="#eee"/>`);
    out.push(`<text x="${x(s).toFixed(1)}" y="${height - B + 14}" text-anchor="middle">${Number(s.toFixed(3))}</text>`);
  }
  const yStep = niceStep(maxY / 5);
  for (let n = 0; n <= maxY + 1e-9; n += yStep) {
    out.push(`<line x1="${L}" y1="${y(n).toFixed(1)}" x2="${width - R}" y2="${y(n).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${L - 4}" y="${(y(n) + 4).toFixed(1)}" text-anchor="end">${n}</text>`);
  }
  out.push(`<line x1="${L}" y1="${y(total).toFixed(1)}" x2="${width - R}" y2="${y(total).toFixed(1)}" stroke="#555" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${width - R - 4}" y="${(y(total) - 4).toFixed(1)}" text-anchor="end" fill="#555">${esc(`sent: ${total}`)}</text>`);
  for (const { m, row, right } of placed) {
    const color = m.color ?? "#888";
    const mx = x(m.at).toFixed(1);
    const ly = 34 + 14 * row;
    out.push(`<line x1="${mx}" y1="${ly + 3}" x2="${mx}" y2="${height - B}" stroke="${color}" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${mx}" y="${ly}" text-anchor="${right ? "end" : "start"}" fill="${color}">${esc(m.label)}</text>`);
  }
  out.push(`<text x="${(L + width - R) / 2}" y="${height - 14}" text-anchor="middle">seconds since the first send</text>`);
  out.push(`<text x="14" y="${(top + height - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + height - B) / 2})">distinct messages delivered</text>`);
  out.push(`<rect x="${L}" y="${top}" width="${width - L - R}" height="${height - top - B}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const sorted = s.arrivals.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    const pts: string[] = [`${x(0).toFixed(1)},${y(0).toFixed(1)}`];
    sorted.forEach((t, k) => pts.push(`${x(t).toFixed(1)},${y(k).toFixed(1)}`, `${x(t).toFixed(1)},${y(k + 1).toFixed(1)}`));
    pts.push(`${x(maxX).toFixed(1)},${y(sorted.length).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    const ly = height - B - 40 - i * 16;
    out.push(`<rect x="${width - R - 200}" y="${ly - 4}" width="12" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${width - R - 182}" y="${ly}">${esc(`${s.name} (${sorted.length}/${total})`)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const exp = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const m of [1, 2, 5, 10]) if (m * exp >= raw) return m * exp;
  return 10 * exp;
}
