// Viewer history as a plain SVG step chart (peak per interval).

const NS = "http://www.w3.org/2000/svg";
const W = 600;
const H = 160;
const PAD = { left: 36, right: 8, top: 8, bottom: 22 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  label?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (label !== undefined) el.textContent = label;
  return el;
}

function clock(t: number): string {
  return new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function viewerChart(points: { t: number; peak: number }[], now: number): SVGSVGElement {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" });
  root.appendChild(svg("title", {}, "Viewers over time (peak per interval)"));
  const series = [...points].sort((a, b) => a.t - b.t);
  const t1 = Date.now() / 1000;
  series.push({ t: t1, peak: now });
  const t0 = Math.min(series[0]?.t ?? t1 - 600, t1 - 600);
  const top = Math.max(1, ...series.map((p) => p.peak));
  const x = (t: number): number =>
    PAD.left + ((t - t0) / (t1 - t0 || 1)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  root.appendChild(svg("line", { x1: PAD.left, y1: y(0), x2: W - PAD.right, y2: y(0), class: "axis" }));
  root.appendChild(svg("text", { x: PAD.left - 6, y: y(top) + 4, "text-anchor": "end" }, String(top)));
  root.appendChild(svg("text", { x: PAD.left - 6, y: y(0) + 4, "text-anchor": "end" }, "0"));
  root.appendChild(svg("text", { x: PAD.left, y: H - 4 }, clock(t0)));
  root.appendChild(svg("text", { x: W - PAD.right, y: H - 4, "text-anchor": "end" }, clock(t1)));
  let d = "";
  let prev: number | null = null;
  for (const p of series) {
    d += prev === null ? `M${x(p.t)},${y(p.peak)}` : `H${x(p.t)}V${y(p.peak)}`;
    prev = p.peak;
  }
  root.appendChild(svg("path", { d, class: "line" }));
  root.appendChild(svg("circle", { cx: x(t1), cy: y(now), r: 3.5, class: "now" }, undefined));
  const labelY = y(now) < PAD.top + 14 ? y(now) + 4 : y(now) - 6; // inside the frame at the top
  root.appendChild(svg("text", { x: x(t1) - 8, y: labelY, "text-anchor": "end", class: "now-label" }, `${now} now`));
  return root;
}
