/** One SVG chart: the latency distributions of both systems as CDFs on a log-scaled time axis. */

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
