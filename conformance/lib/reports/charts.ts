/** A small SVG line chart for the HTML report: one series, labelled axes, no dependencies. */
export function lineChart(title: string, values: readonly number[], width = 640, height = 240): string {
  const pad = { left: 70, right: 12, top: 28, bottom: 28 };
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite, 0);
  const hi = Math.max(...finite, lo + 1);
  const x = (i: number) => pad.left + (i / Math.max(1, values.length - 1)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - ((v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const label = (v: number) =>
    Math.abs(v) >= 1e6
      ? `${(v / 1e6).toFixed(1)}M`
      : Math.abs(v) >= 1e4
        ? `${(v / 1e3).toFixed(0)}k`
        : String(+v.toFixed(3));
  const esc = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.left}" y="16" font-size="13">${esc(title)}</text>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<text x="${pad.left - 4}" y="${y(hi) + 4}" text-anchor="end">${label(hi)}</text>`,
    `<text x="${pad.left - 4}" y="${y(lo) + 4}" text-anchor="end">${label(lo)}</text>`,
    `<text x="${width - pad.right}" y="${height - 8}" text-anchor="end">cycle ${values.length}</text>`,
    `<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${points}"/>`,
    '</svg>',
  ].join('\n');
}
