import { escapeHtml } from '../drift/html';
import type { QualityPoint, QualityReport } from './report';

/**
 * The quality report as one self-contained HTML file: inline CSS and SVG, no script, no font or
 * request from the network. Every string that came from outside (model name, messages) is escaped.
 */

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];
const CHART_WIDTH = 720;
const CHART_HEIGHT = 220;
const PAD = { left: 48, right: 16, top: 12, bottom: 28 };

function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value !== 0 && Math.abs(value) < 0.001) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}

function formatShare(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** A line per version of `metric` over time, with the floor or validation line dashed when known. */
export function metricOverTimeSvg(
  points: readonly QualityPoint[],
  metric: 'auc' | 'rmse',
  window: { readonly start: string; readonly end: string },
  guides: ReadonlyArray<{ readonly label: string; readonly value: number }> = [],
): string {
  const measured = points.filter((p) => p[metric] !== null);
  if (measured.length === 0) return '<p class="meta">No outcomes in the window yet: nothing to plot.</p>';
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  const values = [...measured.map((p) => p[metric] as number), ...guides.map((g) => g.value)];
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (metric === 'auc') {
    low = Math.min(low, 0.5);
    high = Math.max(high, 1);
  } else {
    low = 0;
  }
  if (high === low) high = low + 1;
  const plotWidth = CHART_WIDTH - PAD.left - PAD.right;
  const plotHeight = CHART_HEIGHT - PAD.top - PAD.bottom;
  const x = (time: number) => PAD.left + ((time - start) / Math.max(1, end - start)) * plotWidth;
  const y = (value: number) => PAD.top + (1 - (value - low) / (high - low)) * plotHeight;
  const versions = [...new Set(measured.map((p) => p.version))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const value = low + ((high - low) * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${CHART_WIDTH - PAD.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e2e8f0"/>`,
      `<text class="axis" x="${PAD.left - 6}" y="${(y(value) + 3).toFixed(1)}" text-anchor="end">${formatNumber(value, 3)}</text>`,
    );
  }
  parts.push(
    `<text class="axis" x="${PAD.left}" y="${CHART_HEIGHT - 8}">${escapeHtml(window.start.slice(0, 16).replace('T', ' '))}</text>`,
    `<text class="axis" x="${CHART_WIDTH - PAD.right}" y="${CHART_HEIGHT - 8}" text-anchor="end">${escapeHtml(window.end.slice(0, 16).replace('T', ' '))} UTC</text>`,
  );
  for (const guide of guides) {
    parts.push(
      `<line x1="${PAD.left}" x2="${CHART_WIDTH - PAD.right}" y1="${y(guide.value).toFixed(1)}" y2="${y(guide.value).toFixed(1)}" stroke="#64748b" stroke-dasharray="4 4"/>`,
      `<text class="axis" x="${CHART_WIDTH - PAD.right}" y="${(y(guide.value) - 4).toFixed(1)}" text-anchor="end">${escapeHtml(guide.label)} ${formatNumber(guide.value, 3)}</text>`,
    );
  }
  versions.forEach((version, index) => {
    const colour = PALETTE[index % PALETTE.length];
    const series = measured
      .filter((p) => p.version === version)
      .map((p) => ({ time: (Date.parse(p.start) + Date.parse(p.end)) / 2, value: p[metric] as number, p }));
    const path = series
      .map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.time).toFixed(1)},${y(s.value).toFixed(1)}`)
      .join('');
    parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const s of series) {
      parts.push(
        `<circle cx="${x(s.time).toFixed(1)}" cy="${y(s.value).toFixed(1)}" r="3" fill="${colour}"><title>version ${version}, ${escapeHtml(s.p.start)}: ${metric} ${formatNumber(s.value)} on ${s.p.labeled} outcomes</title></circle>`,
      );
    }
  });
  const legend = versions
    .map(
      (version, index) =>
        `<span><span class="swatch" style="background:${PALETTE[index % PALETTE.length]}"></span>version ${version}</span>`,
    )
    .join('');
  return (
    `<div class="legend">${legend}</div>` +
    `<svg class="chart" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="${metric} over time per version">${parts.join('')}</svg>`
  );
}

/** Predicted against observed rate per bin, with the diagonal of perfect calibration. */
function calibrationSvg(report: QualityReport): string {
  const version = report.production?.version;
  const bins = report.versions.find((v) => v.version === version)?.binary?.calibration ?? [];
  const filled = bins.filter((bin) => bin.count > 0);
  if (filled.length === 0) return '';
  const size = 220;
  const pad = 28;
  const scale = (value: number) => pad + value * (size - 2 * pad);
  const flip = (value: number) => size - scale(value);
  const dots = filled
    .map(
      (bin) =>
        `<circle cx="${scale(bin.meanPredicted!).toFixed(1)}" cy="${flip(bin.observedRate!).toFixed(1)}" r="${Math.min(8, 2 + Math.sqrt(bin.count) / 4).toFixed(1)}" fill="#2563eb" fill-opacity="0.7"><title>${formatNumber(bin.lower, 2)}–${formatNumber(bin.upper, 2)}: predicted ${formatNumber(bin.meanPredicted)}, observed ${formatNumber(bin.observedRate)} (${bin.count})</title></circle>`,
    )
    .join('');
  return (
    `<h2>Calibration of version ${version}</h2>` +
    `<svg class="chart" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="calibration">` +
    `<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="#fff" stroke="#e2e8f0"/>` +
    `<line x1="${scale(0)}" y1="${flip(0)}" x2="${scale(1)}" y2="${flip(1)}" stroke="#94a3b8" stroke-dasharray="4 4"/>` +
    dots +
    `<text class="axis" x="${size / 2}" y="${size - 6}" text-anchor="middle">predicted</text>` +
    `<text class="axis" x="10" y="${size / 2}" transform="rotate(-90 10 ${size / 2})" text-anchor="middle">observed</text>` +
    '</svg>'
  );
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f8fafc;color:#0f172a;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:32px 24px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 10px}
.meta{color:#64748b;font-size:13px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:18px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:12px 16px;min-width:140px}
.card .big{font-size:22px;font-weight:650}
.card .small{color:#64748b;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.banner{margin-top:16px;border-radius:10px;padding:12px 16px;border:1px solid}
.banner.bad{background:#fef2f2;border-color:#fca5a5}
.banner.good{background:#f0fdf4;border-color:#86efac}
.banner.muted{background:#f1f5f9;border-color:#cbd5e1}
.banner ul{margin:6px 0 0;padding-left:20px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e2e8f0}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #f1f5f9}
th{background:#f1f5f9;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#475569}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr.breached td:first-child{border-left:3px solid #dc2626}
.legend{display:flex;gap:16px;color:#475569;font-size:12px;margin:0 0 6px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
svg.chart{display:block;background:#fff;border:1px solid #e2e8f0;border-radius:8px;max-width:100%;height:auto}
svg .axis{font-size:10px;fill:#64748b}
footer{margin-top:28px;color:#64748b;font-size:12px}
`;

const STATUS_TEXT: Record<QualityReport['status'], string> = {
  ok: 'Quality holds',
  degraded: 'Quality dropped',
  regressed: 'The version promoted last measures worse than its predecessor',
  'not-enough-labels': 'Not enough outcomes to judge yet',
  'no-production-model': 'No production model yet',
};

/** Renders one quality check as a self-contained HTML page. */
export function renderQualityReportHtml(report: QualityReport): string {
  const metric = report.task === 'binary' ? 'auc' : 'rmse';
  const production = report.production;
  const current = report.versions.find((v) => v.version === production?.version);
  const value = metric === 'auc' ? current?.binary?.auc : current?.regression?.rmse;
  const cards = [
    ['version', production ? String(production.version) : '—'],
    ['labeled', String(current?.labeled ?? 0)],
    [metric, formatNumber(value)],
    [`validation ${metric}`, formatNumber(production?.validationMetric)],
    ['coverage', formatShare(current?.coverage ?? null)],
    ['label delay p50', formatSeconds(current?.labelDelaySeconds?.p50)],
  ]
    .map(
      ([label, text]) =>
        `<div class="card"><div class="small">${escapeHtml(label)}</div><div class="big">${escapeHtml(text)}</div></div>`,
    )
    .join('');
  const breached = report.decisions.filter((d) => d.breached);
  const tone =
    report.status === 'ok' ? 'good' : report.status === 'degraded' || report.status === 'regressed' ? 'bad' : 'muted';
  const banner =
    `<div id="summary" class="banner ${tone}"><strong>${escapeHtml(STATUS_TEXT[report.status])}</strong>` +
    (breached.length > 0 ? `<ul>${breached.map((d) => `<li>${escapeHtml(d.message)}</li>`).join('')}</ul>` : '') +
    `<div class="meta">alert: ${report.actions.alerted ? 'sent' : 'not sent'} · retrain: ${escapeHtml(report.actions.retrain.status)} · rollback: ${escapeHtml(report.actions.rollback.status)}</div></div>`;
  const guides: Array<{ label: string; value: number }> = [];
  if (production?.validationMetric !== null && production?.validationMetric !== undefined) {
    guides.push({ label: 'validation', value: production.validationMetric });
  }
  const floor = report.decisions.find((d) => d.check === 'floor');
  if (floor?.limit !== null && floor?.limit !== undefined) guides.push({ label: 'floor', value: floor.limit });
  const versionRows = report.versions
    .map((v) => {
      const binary = v.binary;
      const measures = binary
        ? `<td class="num">${formatNumber(binary.auc)}</td><td class="num">${formatNumber(binary.logLoss)}</td><td class="num">${formatNumber(binary.accuracy)}</td><td class="num">${formatNumber(binary.precision)}</td><td class="num">${formatNumber(binary.recall)}</td><td class="num">${formatNumber(binary.f1)}</td>`
        : report.task === 'binary'
          ? '<td class="num">—</td>'.repeat(6)
          : `<td class="num">${formatNumber(v.regression?.rmse)}</td><td class="num">${formatNumber(v.regression?.mae)}</td>`;
      return (
        `<tr><td>${v.version}${v.version === production?.version ? ' (production)' : ''}</td><td class="num">${v.labeled}</td>` +
        `<td class="num">${v.predictions ?? '—'}</td><td class="num">${formatShare(v.coverage)}</td>` +
        `<td class="num">${formatSeconds(v.labelDelaySeconds?.p50)} / ${formatSeconds(v.labelDelaySeconds?.p90)}</td>${measures}</tr>`
      );
    })
    .join('');
  const measureHeads =
    report.task === 'binary'
      ? '<th>auc</th><th>log loss</th><th>accuracy</th><th>precision</th><th>recall</th><th>f1</th>'
      : '<th>rmse</th><th>mae</th>';
  const decisionRows = report.decisions
    .map(
      (d) =>
        `<tr class="${d.breached ? 'breached' : ''}"><td>${escapeHtml(d.check)}</td><td>${d.breached ? 'breached' : 'ok'}</td>` +
        `<td class="num">${formatNumber(d.value)}</td><td class="num">${formatNumber(d.limit)}</td><td>${escapeHtml(d.message)}</td></tr>`,
    )
    .join('');
  const counts = Object.entries(report.join.counts)
    .map(([name, count]) => `${escapeHtml(name)} ${count}`)
    .join(' · ');
  const notes = report.notes.length
    ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
    : '';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>Model quality of ${escapeHtml(report.model)}</title><style>${STYLE}</style></head><body><main>` +
    `<h1>Model quality of ${escapeHtml(report.model)}</h1>` +
    `<div class="meta">predictions made ${escapeHtml(report.window.start)} to ${escapeHtml(report.window.end)} (${report.window.hours} h), outcomes joined by ${escapeHtml(report.generatedAt)}</div>` +
    `<div class="cards">${cards}</div>${banner}` +
    `<h2>${metric} over time, per version</h2>${metricOverTimeSvg(report.overTime, metric, report.window, guides)}` +
    calibrationSvg(report) +
    `<h2>Versions in the window</h2><table><thead><tr><th>version</th><th>labeled</th><th>predictions</th><th>coverage</th><th>delay p50 / p90</th>${measureHeads}</tr></thead><tbody>${versionRows}</tbody></table>` +
    `<h2>Decisions</h2><table><thead><tr><th>check</th><th>result</th><th>value</th><th>limit</th><th>why</th></tr></thead><tbody>${decisionRows}</tbody></table>` +
    `<h2>Join</h2><p class="meta">${escapeHtml(report.join.status)}${report.join.runId ? ` (run ${escapeHtml(report.join.runId)})` : ''}: ${counts}; ${report.join.pending} outcome(s) waiting for their prediction</p>` +
    notes +
    '<footer>serverless-mlops quality report · one file, no network</footer></main></body></html>\n'
  );
}
