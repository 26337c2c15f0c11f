import type { DataTable } from '../data/table';
import { buildProfile, type ColumnProfile, type DataProfile } from '../profile/profile';
import type { DataSchema } from '../schema/types';
import type { ColumnDrift, DriftReport, Severity } from './report';
import { histogramSketch } from './stats';
import { P_VALUE_TESTS } from './thresholds';

/**
 * One self-contained HTML file: inline CSS and inline SVG, no script, no external font or
 * request. Every user-controlled string (column names, categories, messages) goes through escapeHtml.
 */

export interface DriftHtmlInputs {
  readonly reference: DataProfile | DataTable;
  readonly current: DataProfile | DataTable;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function asProfile(input: DataProfile | DataTable, report: DriftReport): DataProfile {
  if ('format' in input) return input;
  const known = report.columns.filter((column) => input.columnNames.includes(column.name));
  const schema: DataSchema = {
    columns: known.map((column) => ({
      name: column.name,
      type: column.type,
      role: column.role,
      missingRate: 0,
      uniqueCount: 0,
    })),
    target: known.find((column) => column.role === 'target')?.name ?? '',
    rowCount: input.rowCount,
  };
  return buildProfile(input, schema);
}

/** How far past its threshold a column is: >= 1 means drift, comparable across p-values and distances. */
export function driftStrength(column: ColumnDrift): number {
  if (column.score === null) return -1;
  if (P_VALUE_TESTS.has(column.test)) {
    const p = Math.max(column.adjustedPValue ?? column.score, 1e-300);
    return Math.log(p) / Math.log(column.threshold);
  }
  return column.score / column.threshold;
}

const REFERENCE_COLOUR = '#94a3b8';
const CURRENT_COLOUR = '#2563eb';
const CHART_WIDTH = 260;
const CHART_HEIGHT = 64;

function formatNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 0.001) return value.toExponential(2);
  if (magnitude >= 1e5) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}

function numericChart(reference: ColumnProfile | undefined, current: ColumnProfile | undefined): string {
  if (reference?.type !== 'numeric' || current?.type !== 'numeric') return '';
  if (reference.quantiles.length === 0 || current.quantiles.length === 0) return '';
  const k = reference.quantiles.length - 1;
  const low = Math.min(reference.quantiles[Math.round(k * 0.005)], current.quantiles[Math.round(k * 0.005)]);
  const high = Math.max(reference.quantiles[Math.round(k * 0.995)], current.quantiles[Math.round(k * 0.995)]);
  const lo = low === high ? low - 0.5 : low;
  const hi = low === high ? high + 0.5 : high;
  const bins = 40;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const referenceShares = histogramSketch(reference.quantiles, 1, edges);
  const currentShares = histogramSketch(current.quantiles, 1, edges);
  const peak = Math.max(...referenceShares, ...currentShares, 1e-12);
  const barWidth = CHART_WIDTH / bins;
  const bars = (shares: number[], colour: string, opacity: number) =>
    shares
      .map((share, i) => {
        const height = (share / peak) * (CHART_HEIGHT - 14);
        return `<rect x="${(i * barWidth).toFixed(2)}" y="${(CHART_HEIGHT - 12 - height).toFixed(2)}" width="${(barWidth - 0.6).toFixed(2)}" height="${height.toFixed(2)}" fill="${colour}" fill-opacity="${opacity}"/>`;
      })
      .join('');
  return (
    `<svg class="chart" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="reference and current histograms">` +
    bars(referenceShares, REFERENCE_COLOUR, 0.75) +
    bars(currentShares, CURRENT_COLOUR, 0.45) +
    `<line x1="0" y1="${CHART_HEIGHT - 12}" x2="${CHART_WIDTH}" y2="${CHART_HEIGHT - 12}" stroke="#cbd5e1"/>` +
    `<text x="0" y="${CHART_HEIGHT - 1}" class="axis">${escapeHtml(formatNumber(lo))}</text>` +
    `<text x="${CHART_WIDTH}" y="${CHART_HEIGHT - 1}" class="axis" text-anchor="end">${escapeHtml(formatNumber(hi))}</text>` +
    '</svg>'
  );
}

function categoryShares(profile: ColumnProfile): Map<string, number> {
  const shares = new Map<string, number>();
  if (profile.type === 'numeric') {
    const total = profile.count || 1;
    for (const entry of profile.valueCounts ?? []) shares.set(entry.value, entry.count / total);
    return shares;
  }
  const total = profile.count || 1;
  for (const entry of profile.topValues) shares.set(entry.value, entry.count / total);
  if (profile.otherCount > 0) shares.set('(other)', profile.otherCount / total);
  return shares;
}

function categoryChart(reference: ColumnProfile | undefined, current: ColumnProfile | undefined): string {
  if (!reference || !current) return '';
  const referenceShares = categoryShares(reference);
  const currentShares = categoryShares(current);
  const keys = [...new Set([...referenceShares.keys(), ...currentShares.keys()])]
    .sort(
      (a, b) =>
        (referenceShares.get(b) ?? 0) +
        (currentShares.get(b) ?? 0) -
        (referenceShares.get(a) ?? 0) -
        (currentShares.get(a) ?? 0),
    )
    .slice(0, 6);
  if (keys.length === 0) return '';
  const rowHeight = 12;
  const labelWidth = 90;
  const barSpace = CHART_WIDTH - labelWidth - 34;
  const peak = Math.max(
    ...keys.map((key) => Math.max(referenceShares.get(key) ?? 0, currentShares.get(key) ?? 0)),
    1e-12,
  );
  const height = keys.length * rowHeight + 2;
  const rows = keys
    .map((key, i) => {
      const y = i * rowHeight + 1;
      const r = referenceShares.get(key) ?? 0;
      const c = currentShares.get(key) ?? 0;
      const label = key.length > 14 ? `${key.slice(0, 13)}…` : key;
      return (
        `<text x="${labelWidth - 4}" y="${y + 9}" class="label" text-anchor="end"><title>${escapeHtml(key)}</title>${escapeHtml(label)}</text>` +
        `<rect x="${labelWidth}" y="${y}" width="${((r / peak) * barSpace).toFixed(2)}" height="5" fill="${REFERENCE_COLOUR}"/>` +
        `<rect x="${labelWidth}" y="${y + 5}" width="${((c / peak) * barSpace).toFixed(2)}" height="5" fill="${CURRENT_COLOUR}"/>` +
        `<text x="${CHART_WIDTH}" y="${y + 9}" class="label" text-anchor="end">${(c * 100).toFixed(0)}%</text>`
      );
    })
    .join('');
  return `<svg class="chart" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="reference and current category shares">${rows}</svg>`;
}

function chartFor(
  column: ColumnDrift,
  reference: ColumnProfile | undefined,
  current: ColumnProfile | undefined,
): string {
  if (
    column.type === 'numeric' &&
    reference?.type === 'numeric' &&
    (reference.distinctCount > 5 || !reference.valueCounts)
  ) {
    return numericChart(reference, current);
  }
  return categoryChart(reference, current);
}

const TEST_LABELS: Record<string, string> = {
  ks: 'K-S p-value',
  chisquare: 'chi-square p-value',
  'chisquare-homogeneity': 'chi-square (2-sample) p-value',
  z: 'Z-test p-value',
  wasserstein: 'Wasserstein (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
};

function statusCell(column: ColumnDrift): string {
  if (column.status === 'ok') {
    return column.drift ? '<span class="badge drift">Drift</span>' : '<span class="badge ok">No drift</span>';
  }
  const label =
    column.status === 'not-enough-data' ? 'Not enough data' : column.status === 'missing' ? 'Missing' : 'Type changed';
  return `<span class="badge muted">${label}</span>`;
}

function severityBadge(severity: Severity): string {
  return `<span class="badge sev-${severity}">${severity}</span>`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f8fafc;color:#0f172a;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:32px 24px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:32px 0 12px}
.meta{color:#64748b;font-size:13px}
.summary{display:flex;gap:16px;flex-wrap:wrap;margin-top:20px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:16px 20px;min-width:180px}
.card .big{font-size:26px;font-weight:650}
.card .small{color:#64748b;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.headline{font-size:18px;font-weight:600;margin:24px 0 0}
.alert{margin-top:16px;border-radius:10px;padding:12px 16px;border:1px solid}
.alert.retrain{background:#fff7ed;border-color:#fdba74}
.alert.calm{background:#f0fdf4;border-color:#86efac}
.alert ul{margin:6px 0 0;padding-left:20px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e2e8f0;border-radius:10px;overflow:hidden}
th,td{text-align:left;padding:10px 12px;border-bottom:1px solid #f1f5f9;vertical-align:middle}
th{background:#f1f5f9;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#475569}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
td.name{font-weight:600;word-break:break-word;max-width:200px}
td.name .sub{display:block;font-weight:400;color:#64748b;font-size:12px}
tr.drifted td.name{border-left:3px solid #dc2626}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.drift{background:#fee2e2;color:#b91c1c}
.badge.ok{background:#dcfce7;color:#15803d}
.badge.muted{background:#e2e8f0;color:#475569}
.badge.sev-high{background:#fee2e2;color:#b91c1c}
.badge.sev-warning{background:#fef3c7;color:#92400e}
.badge.sev-info{background:#e0f2fe;color:#075985}
.legend{display:flex;gap:16px;color:#475569;font-size:12px;margin:0 0 8px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
svg.chart{display:block}
svg .axis,svg .label{font-size:9px;fill:#64748b}
.findings{list-style:none;margin:0;padding:0;background:#fff;border:1px solid #e2e8f0;border-radius:10px}
.findings li{padding:10px 14px;border-bottom:1px solid #f1f5f9;display:flex;gap:10px;align-items:baseline}
.findings li:last-child{border-bottom:0}
.findings .kind{color:#64748b;font-size:12px;min-width:150px;flex-shrink:0}
footer{margin-top:32px;color:#64748b;font-size:12px}
`;

/** Renders the drift report as one self-contained HTML page. */
export function renderDriftReportHtml(report: DriftReport, inputs: DriftHtmlInputs): string {
  const referenceProfile = asProfile(inputs.reference, report);
  const currentProfile = asProfile(inputs.current, report);
  const referenceByName = new Map(referenceProfile.columns.map((column) => [column.name, column]));
  const currentByName = new Map(currentProfile.columns.map((column) => [column.name, column]));
  const columns = [...report.columns].sort(
    (a, b) => Number(b.drift) - Number(a.drift) || driftStrength(b) - driftStrength(a) || a.name.localeCompare(b.name),
  );
  const headline = `Drift in ${report.driftedColumns} of ${report.columnCount} columns`;
  const rows = columns
    .map((column) => {
      const score = column.score === null ? '—' : formatNumber(column.score);
      const adjusted =
        column.adjustedPValue !== undefined
          ? `<br><span class="meta">adj. ${formatNumber(column.adjustedPValue)}</span>`
          : '';
      const missing = `${(column.reference.missingRate * 100).toFixed(1)}% → ${(column.current.missingRate * 100).toFixed(1)}%`;
      const note = column.message ? `<span class="sub">${escapeHtml(column.message)}</span>` : '';
      return (
        `<tr class="${column.drift ? 'drifted' : ''}">` +
        `<td class="name">${escapeHtml(column.name)}<span class="sub">${column.type}${column.role === 'target' ? ' · target' : ''}</span>${note}</td>` +
        `<td>${statusCell(column)}</td>` +
        `<td>${TEST_LABELS[column.test] ?? escapeHtml(column.test)}${column.approximate ? ' <span class="meta">(sketch)</span>' : ''}</td>` +
        `<td class="num">${score}${adjusted}</td>` +
        `<td class="num">${formatNumber(column.threshold)}</td>` +
        `<td class="num">${missing}</td>` +
        `<td>${chartFor(column, referenceByName.get(column.name), currentByName.get(column.name))}</td>` +
        '</tr>'
      );
    })
    .join('');
  const findings = report.schema.findings.length
    ? `<ul class="findings">${[...report.schema.findings]
        .sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
        .map(
          (finding) =>
            `<li>${severityBadge(finding.severity)}<span class="kind">${escapeHtml(finding.kind)}</span><span>${escapeHtml(finding.message)}</span></li>`,
        )
        .join('')}</ul>`
    : '<p class="meta">No schema changes: same columns, types and categories as the reference.</p>';
  const retrain = report.suggestsRetrain
    ? `<div class="alert retrain"><strong>Retraining suggested</strong><ul>${report.retrainReasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul></div>`
    : '<div class="alert calm"><strong>No retraining suggested.</strong> Distributions and schema are within thresholds.</div>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(headline)} · data drift report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Data drift report</h1>
<div class="meta">Generated ${escapeHtml(report.generatedAt)} · reference: ${report.reference.rows.toLocaleString('en-US')} rows (${report.reference.source}) · current: ${report.current.rows.toLocaleString('en-US')} rows</div>
<p class="headline" id="summary">${escapeHtml(headline)}${report.datasetDrift ? ' — dataset drift detected' : ''}</p>
<div class="summary">
<div class="card"><div class="small">Dataset drift</div><div class="big">${report.datasetDrift ? 'Yes' : 'No'}</div></div>
<div class="card"><div class="small">Drifted share</div><div class="big">${(report.driftShare * 100).toFixed(0)}%</div><div class="meta">threshold ${(report.driftShareThreshold * 100).toFixed(0)}%</div></div>
<div class="card"><div class="small">Columns tested</div><div class="big">${report.columnCount}</div><div class="meta">${report.columns.length - report.columnCount} without a verdict</div></div>
<div class="card"><div class="small">Schema findings</div><div class="big">${report.schema.findings.length}</div><div class="meta">${report.schema.findings.filter((f) => f.severity === 'high').length} high</div></div>
</div>
${retrain}
<h2>Columns, strongest drift first</h2>
<div class="legend"><span><span class="swatch" style="background:${REFERENCE_COLOUR}"></span>reference</span><span><span class="swatch" style="background:${CURRENT_COLOUR}"></span>current</span></div>
<table>
<thead><tr><th>Column</th><th>Verdict</th><th>Test</th><th>Score</th><th>Threshold</th><th>Missing</th><th>Distribution</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<h2>Schema findings</h2>
${findings}
<footer>p-value tests drift below their threshold (KS at or below); distances drift at or above it. Correction: ${report.correction}. "(sketch)": computed from the reference profile's 1,001-quantile sketch (KS statistic within 0.001 of exact).</footer>
</main>
</body>
</html>
`;
}

function severityRank(severity: Severity): number {
  return severity === 'high' ? 2 : severity === 'warning' ? 1 : 0;
}

/** The report page of a drift check that had too little traffic to judge. */
export function notEnoughDataHtml(inputs: {
  model: string;
  version: number;
  rows: number;
  minRows: number;
  windowStart: string;
  windowEnd: string;
}): string {
  const title = `Drift report: ${inputs.model}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:32px;color:#0f172a;max-width:760px}
h1{font-size:22px;margin:0 0 8px}.summary{font-size:18px;padding:12px 16px;border-radius:8px;background:#f1f5f9}
.meta{color:#64748b;font-size:13px}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p class="summary">Not enough data: ${inputs.rows} captured ${inputs.rows === 1 ? 'row' : 'rows'} in the window; at least ${inputs.minRows} needed (drift.minRows). No verdict, no alert, no retrain.</p>
<p class="meta">Production version ${inputs.version} · window ${escapeHtml(inputs.windowStart)} to ${escapeHtml(inputs.windowEnd)}</p>
</body></html>
`;
}
