/**
 * The readiness chart: cluster score over time as a step line (a score holds until the
 * next run), with not-ready stretches as shaded bands. Plain inline SVG: no script, no
 * font or image to fetch, and it prints.
 */
import { escapeHtml } from './escape.js';

export interface ChartPoint {
  at: string;
  score: number;
  ready: boolean;
}

export interface ChartBand {
  from: string;
  /** null: until the end of the period. */
  to: string | null;
}

export interface ReadinessChartInput {
  points: readonly ChartPoint[];
  bands: readonly ChartBand[];
  since: string;
  until: string;
  width?: number;
  height?: number;
}

const PAD = { left: 44, right: 16, top: 14, bottom: 40 };

export function readinessChartSvg(input: ReadinessChartInput): string {
  const width = input.width ?? 960;
  const height = input.height ?? 240;
  const startMs = Date.parse(input.since);
  const endMs = Math.max(Date.parse(input.until), startMs + 1);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (iso: string): number => {
    const ms = Math.min(endMs, Math.max(startMs, Date.parse(iso)));
    return round(PAD.left + ((ms - startMs) / (endMs - startMs)) * plotW);
  };
  const y = (score: number): number => round(PAD.top + (1 - Math.min(1, Math.max(0, score))) * plotH);
  const right = PAD.left + plotW;
  const bottom = PAD.top + plotH;

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="chart-title chart-desc">`,
    `<title id="chart-title">Failover readiness from ${escapeHtml(input.since)} to ${escapeHtml(input.until)}</title>`,
    `<desc id="chart-desc">${escapeHtml(describe(input))}</desc>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#ffffff" stroke="#c8ccd2"/>`,
  );
  for (const band of input.bands) {
    const x0 = x(band.from);
    const x1 = band.to === null ? right : x(band.to);
    parts.push(
      `<rect class="band-not-ready" x="${x0}" y="${PAD.top}" width="${Math.max(2, round(x1 - x0))}" height="${plotH}" fill="#f4c7c3" fill-opacity="0.75"><title>not ready from ${escapeHtml(band.from)} to ${escapeHtml(band.to ?? 'end of period')}</title></rect>`,
    );
  }
  for (const tick of [0, 0.5, 1]) {
    parts.push(
      `<line x1="${PAD.left}" x2="${right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e3e6ea" stroke-dasharray="${tick === 0 || tick === 1 ? '0' : '4 4'}"/>`,
      `<text x="${PAD.left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11" fill="#444">${tick.toFixed(1)}</text>`,
    );
  }
  for (const [i, tick] of timeTicks(startMs, endMs).entries()) {
    const tx = x(new Date(tick).toISOString());
    const anchor = i === 0 ? 'start' : tx >= right - 1 ? 'end' : 'middle';
    parts.push(
      `<line x1="${tx}" x2="${tx}" y1="${bottom}" y2="${bottom + 4}" stroke="#888"/>`,
      `<text x="${tx}" y="${bottom + 17}" text-anchor="${anchor}" font-size="11" fill="#444">${escapeHtml(shortTime(tick, endMs - startMs))}</text>`,
    );
  }
  if (input.points.length > 0) {
    const path: string[] = [];
    input.points.forEach((p, i) => {
      const px = x(p.at);
      const py = y(p.score);
      if (i === 0) path.push(`M${px} ${py}`);
      else path.push(`H${px}`, `V${py}`);
    });
    parts.push(`<path class="score-line" d="${path.join(' ')}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`);
    const last = input.points[input.points.length - 1];
    if (last && x(last.at) < right) {
      // After the last run nothing was measured: a dotted guide, not a claim.
      parts.push(
        `<line x1="${x(last.at)}" x2="${right}" y1="${y(last.score)}" y2="${y(last.score)}" stroke="#1f5fa8" stroke-width="1" stroke-dasharray="2 4"/>`,
      );
    }
    for (const p of dotted(input.points)) {
      parts.push(
        `<circle cx="${x(p.at)}" cy="${y(p.score)}" r="3" fill="${p.ready ? '#1f5fa8' : '#b3261e'}"><title>${escapeHtml(p.at)}: score ${p.score.toFixed(2)}, ${p.ready ? 'ready' : 'not ready'}</title></circle>`,
      );
    }
  } else {
    parts.push(
      `<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH / 2}" text-anchor="middle" font-size="13" fill="#666">no run in this period</text>`,
    );
  }
  const ly = height - 8;
  parts.push(
    `<line x1="${PAD.left}" x2="${PAD.left + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="#1f5fa8" stroke-width="2"/>`,
    `<text x="${PAD.left + 28}" y="${ly}" font-size="11" fill="#222">cluster score (min over nodes)</text>`,
    `<rect x="${PAD.left + 230}" y="${ly - 10}" width="18" height="10" fill="#f4c7c3"/>`,
    `<text x="${PAD.left + 254}" y="${ly}" font-size="11" fill="#222">not ready</text>`,
    `<circle cx="${PAD.left + 340}" cy="${ly - 4}" r="3" fill="#b3261e"/>`,
    `<text x="${PAD.left + 348}" y="${ly}" font-size="11" fill="#222">run judged not ready</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

/** Past this many runs a dot per run is noise (and bytes): dots mark only where the verdict or score moved. */
const DOT_EVERY_RUN_UP_TO = 120;

function dotted(points: readonly ChartPoint[]): ChartPoint[] {
  if (points.length <= DOT_EVERY_RUN_UP_TO) return [...points];
  return points.filter((p, i) => {
    const prev = points[i - 1];
    return i === 0 || i === points.length - 1 || !prev || prev.ready !== p.ready || prev.score !== p.score;
  });
}

function describe(input: ReadinessChartInput): string {
  if (input.points.length === 0) return 'No run in this period.';
  const notReady = input.points.filter((p) => !p.ready).length;
  const min = Math.min(...input.points.map((p) => p.score));
  return `${input.points.length} runs, ${notReady} not ready, lowest score ${min.toFixed(2)}.`;
}

/** About six evenly spaced ticks, both ends included. */
function timeTicks(startMs: number, endMs: number): number[] {
  const count = 6;
  return Array.from({ length: count + 1 }, (_, i) => startMs + ((endMs - startMs) * i) / count);
}

function shortTime(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  // Over two days the hour is noise; under that the date alone says too little.
  return spanMs > 2 * 86_400_000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}Z`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
