// Over 450 lines on purpose: the console ships as one static script with no build step or framework, so every page lives here.
// The console's pages: plain DOM, no framework. Every text goes through textContent (no HTML from data).
(() => {
  const TOKEN_KEY = 'mlops-console-token';
  const main = document.getElementById('main');
  const statusBox = document.getElementById('status');

  // The token arrives in the URL fragment (never sent to the server); it is kept for this tab only.
  const hashToken = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (hashToken) {
    sessionStorage.setItem(TOKEN_KEY, hashToken[1]);
    history.replaceState(null, '', `${location.pathname}#/`);
  }
  const token = () => sessionStorage.getItem(TOKEN_KEY);
  document.getElementById('token-state').textContent = token()
    ? 'Actions enabled for this session'
    : 'Read-only: open the URL printed at start to act';

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const fmt = (n, digits = 4) => (n === null || n === undefined ? '–' : Number(n).toFixed(digits));
  const time = (iso) =>
    iso
      ? new Date(iso)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z')
      : '–';
  const ms = (n) => (n === null || n === undefined ? '–' : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);
  const badge = (text) => h('span', { class: `badge ${String(text).replace(/[^a-z-]/g, '')}` }, text);
  const enc = encodeURIComponent;

  async function api(path) {
    const response = await fetch(`api/${path}`, { headers: { accept: 'application/json' } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
    return body;
  }

  async function act(path, body) {
    const response = await fetch(`api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-console-token': token() || '' },
      body: JSON.stringify(body),
    });
    const result = await response.json();
    if (!response.ok) throw new Error(result.error ? result.error.message : `HTTP ${response.status}`);
    return result;
  }

  // One confirmation dialog for every action: what will happen, a required reason, then the request.
  const dialog = document.getElementById('confirm');
  const reasonBox = document.getElementById('confirm-reason');
  const errorBox = document.getElementById('confirm-error');
  let pending = null;
  document.getElementById('confirm-cancel').addEventListener('click', () => dialog.close());
  document.getElementById('confirm-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = reasonBox.value.trim();
    if (reason.length < 3) {
      errorBox.textContent = 'Give a reason of at least 3 characters.';
      reasonBox.focus();
      return;
    }
    const { path, body, done } = pending;
    try {
      const result = await act(path, { ...body, reason });
      dialog.close();
      statusBox.textContent = done(result);
      route();
    } catch (error) {
      errorBox.textContent = error.message;
    }
  });
  function confirmAction(title, text, path, body, done) {
    if (!token()) {
      statusBox.textContent = 'Actions need the session token: open the console URL printed by npm start or mlops ui.';
      return;
    }
    pending = { path, body, done };
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text;
    reasonBox.value = '';
    errorBox.textContent = '';
    dialog.showModal();
    reasonBox.focus();
  }

  // One point (or all at one x): uPlot would stretch the axis over years; show a day (or a version) either side.
  function singlePointRange(xs, isTime) {
    if (!xs.length) return {};
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    if (lo !== hi) return {};
    const pad = isTime ? 86400 : 1;
    return { range: [lo - pad, hi + pad] };
  }

  function chart(container, title, xLabel, xs, series, options = {}) {
    const width = Math.max(320, Math.min(1180, container.clientWidth || 900));
    const palette = ['#0b5cad', '#b3261e', '#176b2c', '#8a5300', '#6a3d9a', '#00727a', '#5b6773', '#c2185b'];
    const plot = new uPlot(
      {
        title,
        width,
        height: 260,
        scales: { x: { time: Boolean(options.time), ...singlePointRange(xs, options.time) } },
        axes: [
          options.time
            ? { label: xLabel }
            : { label: xLabel, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? `v${v}` : '')) },
          { label: options.yLabel || '' },
        ],
        series: [
          { label: xLabel },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: palette[i % palette.length],
            width: 2,
            spanGaps: true,
            points: { show: xs.length < 60 },
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
      container,
    );
    container.setAttribute('role', 'img');
    container.setAttribute('aria-label', `${title}: ${series.map((s) => s.label).join(', ')} over ${xs.length} points`);
    return plot;
  }

  function setNav(model, page) {
    const nav = document.getElementById('model-nav');
    nav.replaceChildren();
    document.getElementById('where').textContent = model ? `/ ${model}` : '';
    const link = (href, text, current) => h('li', {}, h('a', { href, 'aria-current': current ? 'page' : null }, text));
    nav.append(link('#/', 'Models', !model));
    if (model) {
      nav.append(
        link(`#/m/${enc(model)}`, 'Versions', page === 'model'),
        link(`#/m/${enc(model)}/runs`, 'Runs', page === 'runs' || page === 'run'),
        link(`#/m/${enc(model)}/drift`, 'Drift & quality', page === 'drift'),
      );
    }
  }

  function render(title, ...content) {
    document.title = `${title} · MLOps console`;
    main.replaceChildren(h('h1', {}, title), ...content.flat().filter((node) => node !== null && node !== undefined));
    main.focus();
  }

  // ---- pages ----

  async function modelsPage() {
    setNav(null);
    const [{ models, label }, { featureViews }] = await Promise.all([api('models'), api('feature-views')]);
    const rows = models.map((m) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('a', { href: `#/m/${enc(m.name)}` }, m.name)),
        h(
          'td',
          { class: 'num' },
          m.production ? `v${m.production.version}` : 'none',
          m.production ? h('div', { class: 'muted' }, `${m.production.kind} ${time(m.production.movedAt)}`) : null,
        ),
        h(
          'td',
          {},
          m.lastRun
            ? [
                h('a', { href: `#/m/${enc(m.name)}/runs/${enc(m.lastRun.runId)}` }, time(m.lastRun.startedAt)),
                ' ',
                badge(m.lastRun.outcome),
                h('div', { class: 'muted' }, `trigger ${m.lastRun.trigger}`),
              ]
            : 'no runs',
        ),
        h(
          'td',
          {},
          m.drift ? [badge(m.drift.status), h('div', { class: 'muted' }, time(m.drift.generatedAt))] : 'no report',
        ),
        h(
          'td',
          {},
          m.quality
            ? [
                badge(m.quality.status),
                h('div', { class: 'muted' }, `AUC ${fmt(m.quality.auc)} on ${m.quality.labeled} outcomes`),
              ]
            : 'no report',
        ),
        h(
          'td',
          {},
          m.data?.at
            ? [
                time(m.data.at),
                h('div', { class: 'muted' }, `${m.data.ageHours.toFixed(1)} h ago, ${m.data.files} file(s)`),
              ]
            : 'no data',
        ),
      ),
    );
    render(
      'Models',
      label ? h('p', { class: 'muted' }, `Serving from the ${label}.`) : null,
      h(
        'table',
        {},
        h('caption', {}, `${models.length} model(s)`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Model', 'Production', 'Last run', 'Drift', 'Quality', 'Newest data'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h('tbody', {}, rows),
      ),
      h('h2', {}, 'Feature views'),
      featureViews.length
        ? featureViews.map((v) => featureViewSection(v))
        : h('p', { class: 'muted' }, 'No feature views in the config.'),
    );
  }

  function featureViewSection(v) {
    const list = (names) => (names.length ? names.join(', ') : '–');
    return h(
      'section',
      { class: 'panel', 'aria-labelledby': `view-${v.name}` },
      h('h3', { id: `view-${v.name}` }, `View ${v.name}`),
      h(
        'p',
        {},
        `Keyed by ${v.entityKey}, event time ${v.eventTimeColumn}; features: ${v.features === 'all' ? 'all columns' : v.features.join(', ')}; ` +
          `TTL ${v.ttlSeconds === null ? 'none' : `${v.ttlSeconds} s`}; unknown entity: ${v.onMissingEntity}; ` +
          `read by ${v.models.length ? v.models.join(', ') : 'no model'}.`,
      ),
      h(
        'p',
        {},
        `${v.files}${v.filesCapped ? '+' : ''} data file(s) under features/${v.name}/; newest uploaded ${time(v.newestFileAt)}; ` +
          `${v.versionCount} version(s).`,
      ),
      v.versions.length
        ? h(
            'table',
            {},
            h('caption', {}, `Versions of ${v.name}, newest first`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Version', 'First seen', 'First file', 'Columns', 'Added', 'Removed'].map((label) =>
                  h('th', { scope: 'col' }, label),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              v.versions.map((version) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, h('code', {}, version.version)),
                  h('td', {}, time(version.firstSeenAt)),
                  h('td', {}, h('code', {}, version.firstSeenKey)),
                  h('td', {}, String(version.columns.length)),
                  h('td', {}, list(version.added)),
                  h('td', {}, list(version.removed)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No view file materialized yet.'),
    );
  }

  async function modelPage(model, params) {
    setNav(model, 'model');
    const before = params.get('before');
    const [overview, versions, history, metrics] = await Promise.all([
      api(`models/${enc(model)}/overview`),
      api(`models/${enc(model)}/versions${before ? `?before=${enc(before)}` : ''}`),
      api(`models/${enc(model)}/history?size=15`),
      api(`models/${enc(model)}/metrics`),
    ]);
    const production = overview.production ? overview.production.version : null;
    const versionRows = versions.items.map((v) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row', class: 'num' }, `v${v.version}`),
        h('td', {}, time(v.createdAt)),
        h('td', {}, badge(v.approval), v.aliases.length ? h('div', {}, v.aliases.join(', ')) : null),
        h(
          'td',
          {},
          Object.entries(v.metrics).map(([k, n]) => h('div', { class: 'num' }, `${k} ${fmt(n)}`)),
        ),
        h(
          'td',
          {},
          h(
            'code',
            { title: v.dataSha256 || '' },
            v.dataSha256 ? v.dataSha256.slice(0, 12) : v.imported ? `imported ${v.imported}` : '–',
          ),
        ),
        h(
          'td',
          {},
          h('a', { href: `#/m/${enc(model)}/runs/${enc(v.runId)}` }, h('code', {}, v.runId)),
          h('div', { class: 'muted' }, `code ${v.codeVersion}`),
        ),
        h(
          'td',
          {},
          h(
            'div',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                disabled: v.version === production || v.approval === 'rejected',
                'aria-label': `Promote version ${v.version} to production`,
                onclick: () =>
                  confirmAction(
                    `Promote v${v.version}`,
                    `Production of ${model} moves from v${production ?? '–'} to v${v.version}.`,
                    `models/${enc(model)}/promote`,
                    { version: v.version },
                    (r) => `${model} production: v${r.previousVersion ?? '–'} → v${r.version}`,
                  ),
              },
              'Promote',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                disabled: v.approval === 'rejected',
                'aria-label': `Reject version ${v.version}`,
                onclick: () =>
                  confirmAction(
                    `Reject v${v.version}`,
                    `Version ${v.version} is marked rejected${v.version === production ? ' and production rolls back to the previous acceptable version' : ''}.`,
                    `models/${enc(model)}/reject`,
                    { version: v.version },
                    () => `v${v.version} of ${model} rejected`,
                  ),
              },
              'Reject',
            ),
          ),
        ),
      ),
    );
    const chartBox = h('div', { class: 'chart' });
    const names = [...new Set(metrics.series.flatMap((p) => Object.keys(p.metrics)))];
    const atForm = h(
      'form',
      { class: 'inline', 'aria-label': 'Production at a given time' },
      h(
        'label',
        {},
        'Production at (UTC)',
        h('input', { type: 'datetime-local', name: 'at', step: 1, required: true }),
      ),
      h('button', { type: 'submit' }, 'Look up'),
      h('output', { name: 'result', 'aria-live': 'polite' }),
    );
    atForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const at = `${atForm.elements.at.value}Z`;
      const result = await api(`models/${enc(model)}/history?at=${enc(at)}`);
      atForm.elements.result.textContent = result.move
        ? `v${result.move.version} (since ${time(result.move.movedAt)}, ${result.move.kind}${result.move.reason ? `: ${result.move.reason}` : ''})`
        : 'no production version yet at that time';
    });
    render(
      model,
      h(
        'div',
        { class: 'panel' },
        h(
          'p',
          {},
          'Production: ',
          h('strong', {}, production ? `v${production}` : 'none'),
          overview.production ? ` since ${time(overview.production.movedAt)}` : '',
        ),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              disabled: !production,
              onclick: () =>
                confirmAction(
                  'Roll back production',
                  `Production of ${model} moves from v${production} back to the previous version.`,
                  `models/${enc(model)}/rollback`,
                  {},
                  (r) => `${model} production rolled back: v${r.previousVersion ?? '–'} → v${r.version}`,
                ),
            },
            'Roll back',
          ),
          h(
            'button',
            {
              type: 'button',
              onclick: () =>
                confirmAction(
                  'Start a retrain',
                  `A retraining run of ${model} starts on the newest data; its gate decides whether it replaces v${production ?? '–'}.`,
                  `models/${enc(model)}/retrain`,
                  {},
                  (r) => `retraining started: ${r.executionArn}`,
                ),
            },
            'Retrain',
          ),
        ),
      ),
      h('h2', {}, 'Metrics across versions'),
      chartBox,
      h('h2', {}, 'Versions'),
      h(
        'table',
        { id: 'versions' },
        h('caption', {}, before ? `Versions before v${before}` : 'Newest versions'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Version', 'Created', 'Approval / aliases', 'Metrics', 'Data SHA-256', 'Lineage', 'Actions'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h('tbody', {}, versionRows),
      ),
      h(
        'p',
        {},
        before ? h('a', { href: `#/m/${enc(model)}` }, 'Newest') : null,
        ' ',
        versions.next ? h('a', { href: `#/m/${enc(model)}?before=${enc(versions.next)}` }, 'Older versions') : null,
      ),
      h('h2', {}, 'Production history'),
      atForm,
      history.items.length
        ? h(
            'ol',
            { class: 'alias-timeline', reversed: true, 'aria-label': 'Production moves, newest first' },
            history.items.map((m) =>
              h(
                'li',
                { class: m.kind },
                h('strong', {}, `v${m.version}`),
                ` ${m.kind}${m.previousVersion ? ` from v${m.previousVersion}` : ' (first production version)'} at ${time(m.movedAt)}`,
                h(
                  'div',
                  { class: 'muted' },
                  [m.reason, m.actor ? `by ${m.actor}` : null, m.runId ? `run ${m.runId}` : null]
                    .filter(Boolean)
                    .join(' · '),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'Production has never been set.'),
    );
    if (metrics.series.length && names.length) {
      chart(
        chartBox,
        `${model}: validation metrics by version`,
        'version',
        metrics.series.map((p) => p.version),
        names.map((name) => ({
          label: name,
          values: metrics.series.map((p) => (name in p.metrics ? p.metrics[name] : null)),
        })),
      );
    } else chartBox.textContent = 'No versions yet.';
  }

  async function runsPage(model, params) {
    setNav(model, 'runs');
    const after = params.get('after');
    const runs = await api(`models/${enc(model)}/runs${after ? `?after=${enc(after)}` : ''}`);
    render(
      `${model}: runs`,
      h(
        'table',
        {},
        h('caption', {}, 'Newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Run', 'Started', 'Trigger', 'Outcome', 'Gate', 'Schema changes', 'Duration'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          runs.items.map((r) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row' },
                h('a', { href: `#/m/${enc(model)}/runs/${enc(r.runId)}` }, h('code', {}, r.runId)),
              ),
              h('td', {}, time(r.startedAt)),
              h('td', {}, r.trigger),
              h(
                'td',
                {},
                badge(r.outcome),
                r.registeredVersion ? ` v${r.registeredVersion}` : '',
                r.failure ? h('div', { class: 'error' }, `${r.failure.step}: ${r.failure.reason}`) : null,
              ),
              h(
                'td',
                {},
                r.gate
                  ? [badge(r.gate.decision), ` ${r.gate.metric} ${fmt(r.gate.candidate)} vs ${fmt(r.gate.champion)}`]
                  : '–',
              ),
              h('td', {}, r.schemaChanges ? h('code', {}, r.schemaChanges) : '–'),
              h('td', { class: 'num' }, ms(r.durationMs)),
            ),
          ),
        ),
      ),
      h(
        'p',
        {},
        after ? h('a', { href: `#/m/${enc(model)}/runs` }, 'Newest') : null,
        ' ',
        runs.next ? h('a', { href: `#/m/${enc(model)}/runs?after=${enc(runs.next)}` }, 'Older runs') : null,
      ),
    );
  }

  async function runPage(model, runId) {
    setNav(model, 'run');
    const { record, summary, timeline, logs } = await api(`models/${enc(model)}/runs/${enc(runId)}`);
    const total = Math.max(1, ...timeline.map((s) => s.offsetMs + (s.durationMs || 0)));
    const gate = record.gate;
    render(
      `Run ${runId}`,
      h(
        'div',
        { class: 'grid' },
        h(
          'div',
          { class: 'panel' },
          h('h2', {}, 'Outcome'),
          h('p', {}, badge(record.outcome), record.registeredVersion ? ` registered v${record.registeredVersion}` : ''),
          h('p', {}, `Trigger: ${record.trigger.kind}${record.trigger.reason ? ` (${record.trigger.reason})` : ''}`),
          record.trigger.objects.length
            ? h('p', {}, 'Objects: ', h('code', {}, record.trigger.objects.join(', ')))
            : null,
          h('p', {}, `Started ${time(record.startedAt)}, ended ${time(record.endedAt)} (${ms(summary.durationMs)})`),
          record.failure
            ? h('p', { class: 'error' }, `Failed at ${record.failure.step}: ${record.failure.reason}`)
            : null,
        ),
        h(
          'div',
          { class: 'panel' },
          h('h2', {}, 'Gate decision'),
          gate
            ? [
                h('p', {}, badge(gate.decision), ` on ${gate.metric}`),
                h(
                  'p',
                  { class: 'num' },
                  `candidate ${fmt(gate.candidate)} · champion ${fmt(gate.champion)}${gate.championVersion ? ` (v${gate.championVersion})` : ''} · required gain ${fmt(gate.requiredGain)}`,
                ),
                h('p', {}, gate.reason),
              ]
            : h('p', { class: 'muted' }, 'The run did not reach the gate.'),
        ),
        h(
          'div',
          { class: 'panel' },
          h('h2', {}, 'Data'),
          record.inputs
            ? [
                h('p', {}, 'Key: ', h('code', {}, record.inputs.dataKey)),
                h('p', {}, 'SHA-256: ', h('code', {}, record.inputs.dataSha256 || '–')),
                h('p', {}, `${record.inputs.rows ?? '?'} rows × ${record.inputs.columns ?? '?'} columns`),
              ]
            : h('p', { class: 'muted' }, 'No inputs recorded.'),
          h('p', {}, 'Schema changes: ', summary.schemaChanges ? h('code', {}, summary.schemaChanges) : 'none'),
        ),
      ),
      h('h2', {}, 'Steps'),
      timeline.length
        ? h(
            'div',
            { class: 'timeline', role: 'list', 'aria-label': 'Step timeline' },
            timeline.map((s) =>
              h(
                'div',
                { class: 'row', role: 'listitem' },
                h('span', {}, s.step),
                h(
                  'span',
                  { class: 'track' },
                  h('span', {
                    class: 'bar',
                    'data-left': (100 * s.offsetMs) / total,
                    'data-width': (100 * (s.durationMs || 0)) / total,
                  }),
                ),
                h('span', { class: 'num' }, ms(s.durationMs)),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No step timings.'),
      h('h2', {}, 'Logs'),
      logs.length
        ? h(
            'ul',
            {},
            logs.map((l) =>
              h('li', {}, /^https:/.test(l) ? h('a', { href: l, rel: 'noreferrer' }, l) : h('code', {}, l)),
            ),
          )
        : h('p', { class: 'muted' }, 'No log location known.'),
      h('h2', {}, 'Metrics and parameters'),
      h(
        'pre',
        { class: 'mono panel' },
        JSON.stringify({ metrics: record.metrics, parameters: record.parameters }, null, 2),
      ),
    );
    // Bar geometry through the CSSOM: the page's policy allows no inline style attributes.
    for (const bar of main.querySelectorAll('.bar')) {
      bar.style.left = `${bar.dataset.left}%`;
      bar.style.width = `${bar.dataset.width}%`;
    }
  }

  async function driftPage(model, params) {
    setNav(model, 'drift');
    const [drift, quality] = await Promise.all([
      api(`models/${enc(model)}/drift`),
      api(`models/${enc(model)}/quality`),
    ]);
    const open = params.get('report');
    const openKind = params.get('kind') || 'drift';
    const driftChart = h('div', { class: 'chart' });
    const qualityChart = h('div', { class: 'chart' });
    const reportList = (kind, page) =>
      page.items.length
        ? h(
            'ul',
            {},
            page.items.map((r) =>
              h(
                'li',
                {},
                h(
                  'a',
                  {
                    href: `#/m/${enc(model)}/drift?kind=${kind}&report=${enc(r.reportId)}`,
                    'aria-current': open === r.reportId && openKind === kind ? 'true' : null,
                  },
                  `${kind} report ${time(r.at)}`,
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, `No ${kind} reports yet.`);
    render(
      `${model}: drift and quality`,
      open
        ? [
            h('h2', {}, `${openKind === 'quality' ? 'Quality' : 'Drift'} report ${open}`),
            h('iframe', {
              class: 'report',
              title: `${openKind} report ${open}`,
              sandbox: 'allow-scripts',
              src: `api/models/${enc(model)}/${openKind === 'quality' ? 'quality' : 'drift'}/${enc(open)}/report.html`,
            }),
          ]
        : null,
      h('h2', {}, 'Drift score per column over time'),
      h(
        'p',
        { class: 'muted' },
        'The test statistic per column (p-value for KS, chi-square and z tests: low means drift; a distance otherwise: high means drift).',
      ),
      driftChart,
      drift.trend.columns.length
        ? h(
            'table',
            {},
            h('caption', {}, `Columns over ${drift.trend.times.length} report(s)`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Column', 'Test', 'Latest score', 'Reports with drift'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              drift.trend.columns.map((c) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, c.name),
                  h('td', {}, c.test),
                  h('td', { class: 'num' }, fmt(c.scores[c.scores.length - 1])),
                  h('td', { class: 'num' }, String(c.drifted)),
                ),
              ),
            ),
          )
        : null,
      h('h2', {}, 'Drift reports'),
      reportList('drift', drift.reports),
      h('h2', {}, 'Model quality on live outcomes'),
      qualityChart,
      h('h2', {}, 'Quality reports'),
      reportList('quality', quality.reports),
    );
    if (drift.trend.times.length) {
      chart(
        driftChart,
        `${model}: drift score by column`,
        'report time',
        drift.trend.times,
        [
          { label: 'drift share', values: drift.trend.driftShare },
          ...drift.trend.columns.map((c) => ({ label: c.name, values: c.scores })),
        ],
        { time: true },
      );
    } else driftChart.textContent = 'No drift reports yet: run a drift check (npx mlops drift run).';
    const measured = quality.series.filter((p) => p.auc !== null || p.rmse !== null);
    if (measured.length) {
      const useAuc = measured.some((p) => p.auc !== null);
      chart(
        qualityChart,
        `${model}: live ${useAuc ? 'AUC' : 'RMSE'} of production`,
        'report time',
        measured.map((p) => Date.parse(p.at) / 1000),
        [{ label: useAuc ? 'AUC' : 'RMSE', values: measured.map((p) => (useAuc ? p.auc : p.rmse)) }],
        { time: true },
      );
    } else qualityChart.textContent = 'No quality measured yet: it needs outcomes joined to predictions.';
  }

  async function route() {
    const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
    const params = new URLSearchParams(query);
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (parts[0] === 'm' && parts[1]) {
        if (parts[2] === 'runs' && parts[3]) return await runPage(parts[1], parts[3]);
        if (parts[2] === 'runs') return await runsPage(parts[1], params);
        if (parts[2] === 'drift') return await driftPage(parts[1], params);
        return await modelPage(parts[1], params);
      }
      return await modelsPage();
    } catch (error) {
      render('Something went wrong', h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }
  window.addEventListener('hashchange', () => {
    statusBox.textContent = '';
    route();
  });
  route();
})();
