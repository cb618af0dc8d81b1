// Where a cold run's time goes, as the wire saw it: every exchange at the source front, its CDN and the
// destination proxy, sorted into phases, as a table and an SVG chart (no dependencies).

/** The phase of one exchange; `side` is 'source' or 'destination'. */
export function phaseOf(side, e) {
  const path = e.path;
  if (path.startsWith('/token') || (e.status === 401 && e.method === 'GET' && path === '/v2/')) return 'auth';
  if (side === 'source') {
    if (/\/manifests\//.test(path)) return e.method === 'HEAD' ? 'source HEAD' : 'source manifests';
    if (/\/blobs\//.test(path)) return e.status >= 300 && e.status < 400 ? 'source redirects' : 'source blob reads';
    return 'source other';
  }
  if (e.method === 'HEAD') return 'HEAD checks';
  if (e.method === 'POST' && /[?&]mount=/.test(path)) return 'mount attempts';
  if (e.method === 'POST') return 'upload starts';
  if (e.method === 'PATCH' || (e.method === 'PUT' && /\/blobs\/uploads\//.test(path))) return 'blob uploads';
  const manifest = /\/manifests\/([^/?]+)$/.exec(path);
  if (e.method === 'PUT' && manifest) return manifest[1].startsWith('sha256:') ? 'manifests' : 'tags';
  if (e.status === 401) return 'auth';
  return 'destination other';
}

export const PHASES = [
  'startup + AWS API',
  'auth',
  'source HEAD',
  'source manifests',
  'source redirects',
  'source blob reads',
  'HEAD checks',
  'mount attempts',
  'upload starts',
  'blob uploads',
  'manifests',
  'tags',
  'source other',
  'destination other',
];

/** Total length of the union of [start, end] intervals. */
function busy(intervals) {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = [-Infinity, -Infinity];
  for (const [s, e] of sorted) {
    if (s > to) {
      if (to > from) total += to - from;
      [from, to] = [s, e];
    } else to = Math.max(to, e);
  }
  if (to > from) total += to - from;
  return total;
}

/**
 * Phases of one run: `source` and `destination` are proxy exchanges (with `at`/`end`), `received`
 * the source front's requests it answered itself (tokens), `startedAt`/`endedAt` the process's life.
 */
export function buildTimeline({ source, destination, tokens, startedAt, endedAt }) {
  const events = [];
  const add = (phase, at, end, bytes = 0) => events.push({ phase, start: at - startedAt, end: end - startedAt, bytes });
  for (const e of source) add(phaseOf('source', e), e.at, e.end || e.at, e.responseBytes);
  for (const e of destination) add(phaseOf('destination', e), e.at, e.end || e.at, e.requestBytes);
  for (const t of tokens) add('auth', t.at, t.at);
  const firstRequest = Math.min(...events.map((e) => e.start));
  events.push({ phase: 'startup + AWS API', start: 0, end: Math.max(0, firstRequest), bytes: 0 });
  const rows = PHASES.map((phase) => {
    const list = events.filter((e) => e.phase === phase);
    if (list.length === 0) return undefined;
    return {
      phase,
      requests: phase === 'startup + AWS API' ? 0 : list.length,
      firstMs: Math.min(...list.map((e) => e.start)),
      lastMs: Math.max(...list.map((e) => e.end)),
      busyMs: busy(list.map((e) => [e.start, e.end])),
      sumMs: list.reduce((s, e) => s + (e.end - e.start), 0),
      bytes: list.reduce((s, e) => s + e.bytes, 0),
    };
  }).filter(Boolean);
  return { wallMs: endedAt - startedAt, rows, events };
}

const s = (ms) => (ms / 1000).toFixed(2);

export function timelineTable(timeline) {
  return [
    ['phase', 'requests', 'first s', 'last s', 'busy s (union)', 'request-s (sum)', 'MB'],
    ...timeline.rows.map((r) => [
      r.phase,
      String(r.requests),
      s(r.firstMs),
      s(r.lastMs),
      s(r.busyMs),
      s(r.sumMs),
      (r.bytes / 1e6).toFixed(1),
    ]),
  ];
}

const COLORS = {
  'startup + AWS API': '#888888',
  auth: '#b07aa1',
  'source HEAD': '#9c755f',
  'source manifests': '#76b7b2',
  'source redirects': '#bab0ac',
  'source blob reads': '#4e79a7',
  'HEAD checks': '#edc948',
  'mount attempts': '#ff9da7',
  'upload starts': '#f28e2b',
  'blob uploads': '#59a14f',
  manifests: '#e15759',
  tags: '#af7aa1',
  'source other': '#cccccc',
  'destination other': '#cccccc',
};

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A Gantt chart: one lane per phase, every exchange a bar; long transfers stacked so overlaps show. */
export function timelineSvg(timeline, title) {
  const width = 1000;
  const left = 170;
  const plot = width - left - 20;
  const total = Math.max(timeline.wallMs, ...timeline.events.map((e) => e.end));
  const x = (ms) => left + (ms / total) * plot;
  const lanes = timeline.rows.map((r) => r.phase);
  const laneHeights = lanes.map((phase) => {
    const n = stack(timeline.events.filter((e) => e.phase === phase)).depth;
    return Math.max(14, Math.min(90, n * 3 + 8));
  });
  const top = 40;
  const height = top + laneHeights.reduce((a, b) => a + b + 6, 0) + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">${escape(title)}</text>`,
  ];
  let y = top;
  lanes.forEach((phase, i) => {
    const h = laneHeights[i];
    const row = timeline.rows[i];
    parts.push(`<rect x="${left}" y="${y}" width="${plot}" height="${h}" fill="#f6f6f6"/>`);
    parts.push(
      `<text x="${left - 6}" y="${y + h / 2 + 4}" text-anchor="end">${escape(phase)} (${row.requests})</text>`,
    );
    const { placed, depth } = stack(timeline.events.filter((e) => e.phase === phase));
    const barH = Math.max(2, (h - 4) / Math.max(1, depth));
    for (const { event, level } of placed) {
      const w = Math.max(0.8, x(event.end) - x(event.start));
      parts.push(
        `<rect x="${x(event.start).toFixed(1)}" y="${(y + 2 + level * barH).toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(1, barH - 0.5).toFixed(1)}" fill="${COLORS[phase] ?? '#999'}"/>`,
      );
    }
    y += h + 6;
  });
  const step = niceStep(total);
  for (let t = 0; t <= total; t += step) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${y}" stroke="#ccc" stroke-width="0.5"/>`);
    parts.push(`<text x="${x(t)}" y="${y + 14}" text-anchor="middle">${(t / 1000).toFixed(t % 1000 ? 1 : 0)} s</text>`);
  }
  parts.push(`<line x1="${x(timeline.wallMs)}" x2="${x(timeline.wallMs)}" y1="${top - 4}" y2="${y}" stroke="black"/>`);
  parts.push(
    `<text x="${x(timeline.wallMs) - 4}" y="${top - 8}" text-anchor="end">exit ${s(timeline.wallMs)} s</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Places intervals on the fewest levels without overlap (greedy by start). */
function stack(events) {
  const ends = [];
  const placed = [];
  for (const event of [...events].sort((a, b) => a.start - b.start)) {
    let level = ends.findIndex((end) => end <= event.start);
    if (level < 0) level = ends.push(0) - 1;
    ends[level] = event.end;
    placed.push({ event, level });
  }
  return { placed, depth: ends.length };
}

function niceStep(totalMs) {
  for (const step of [250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]) if (totalMs / step <= 12) return step;
  return 120000;
}
