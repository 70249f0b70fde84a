import { BarController, BarElement, CategoryScale, Chart, ChartConfiguration, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { h, replace } from '../console/dom';
import { select } from '../console/govuk';
import { clock, count, duration, NONE, percent } from './format';
import { Bucket, History } from './protocol';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** One bucket of the day, all the caller's departments and channels together. */
export interface Point {
  start: number;
  offered: number;
  answered: number;
  answeredWithinTarget: number;
  abandoned: number;
  serviceLevel: number | null;
  averageSpeedOfAnswerSeconds: number | null;
}

const STEP_MS: Record<Bucket, number> = { '15m': 15 * 60_000, hour: 3_600_000, day: 86_400_000 };
const BUCKET_LABEL: Record<'15m' | 'hour', string> = { '15m': '15 minutes', hour: 'Hour' };

/**
 * Sums the history's rows per bucket: service level is answered within target ÷ offered over the sums, the average
 * speed of answer is weighted by the cases answered. Buckets without a row count as nothing happening.
 */
export function pointsOf(history: History, until: number): Point[] {
  const step = STEP_MS[history.bucket] ?? STEP_MS['15m'];
  const sums = new Map<number, { offered: number; answered: number; within: number; abandoned: number; speed: number; timed: number }>();
  const at = (start: number) => {
    let s = sums.get(start);
    if (!s) sums.set(start, (s = { offered: 0, answered: 0, within: 0, abandoned: 0, speed: 0, timed: 0 }));
    return s;
  };
  const from = Date.parse(history.from);
  const end = Math.min(Date.parse(history.to), until);
  for (let t = from; Number.isFinite(t) && t < end; t += step) at(t);
  for (const r of history.rows) {
    const s = at(Date.parse(r.start));
    s.offered += r.offered;
    s.answered += r.answered;
    s.within += r.answeredWithinTarget;
    s.abandoned += r.abandoned;
    if (r.averageSpeedOfAnswerSeconds !== null && r.answered > 0) {
      s.speed += r.averageSpeedOfAnswerSeconds * r.answered;
      s.timed += r.answered;
    }
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, s]) => ({
      start,
      offered: s.offered,
      answered: s.answered,
      answeredWithinTarget: s.within,
      abandoned: s.abandoned,
      serviceLevel: s.offered ? s.within / s.offered : null,
      averageSpeedOfAnswerSeconds: s.timed ? s.speed / s.timed : null,
    }));
}

interface Figure {
  id: string;
  title: string;
  canvas: HTMLCanvasElement;
  summary: HTMLElement;
  table: HTMLElement;
  chart: Chart | null;
}

export interface ChartActions {
  setBucket(bucket: '15m' | 'hour'): void;
}

/**
 * Volume, service level and wait through the day as Chart.js charts. Each chart has a text alternative: a summary
 * sentence (the canvas's accessible name) and the same figures as a table under "Show the figures".
 */
export class Charts {
  readonly root: HTMLElement;
  private readonly figures: Figure[];
  private readonly csv: HTMLAnchorElement;

  constructor(
    private bucket: '15m' | 'hour',
    actions: ChartActions,
  ) {
    this.figures = [this.figure('volume', 'Cases offered, answered and abandoned'), this.figure('service-level', 'Service level'), this.figure('wait', 'Average speed of answer')];
    this.csv = h('a', { class: 'govuk-link', id: 'history-csv', href: '#', download: 'contact-hub-today.csv' }, 'Download today’s figures (CSV)');
    this.root = h(
      'section',
      { class: 'hub-charts', 'aria-labelledby': 'charts-heading' },
      h('h2', { class: 'govuk-heading-m', id: 'charts-heading' }, 'Through the day'),
      h(
        'div',
        { class: 'hub-charts__controls' },
        select({
          id: 'history-bucket',
          label: 'Show figures per',
          options: (Object.keys(BUCKET_LABEL) as Array<'15m' | 'hour'>).map((b) => ({ value: b, text: BUCKET_LABEL[b] })),
          value: bucket,
          onChange: (v) => {
            this.bucket = v as '15m' | 'hour';
            actions.setBucket(this.bucket);
          },
          groupClass: 'hub-charts__bucket',
        }),
        h('p', { class: 'govuk-body hub-charts__csv' }, this.csv),
      ),
      h(
        'div',
        { class: 'hub-charts__grid' },
        this.figures.map((f) =>
          h(
            'figure',
            { class: 'hub-chart', id: `chart-${f.id}`, 'aria-labelledby': `chart-${f.id}-title` },
            h('h3', { class: 'govuk-heading-s', id: `chart-${f.id}-title` }, f.title),
            f.summary,
            h('div', { class: 'hub-chart__canvas' }, f.canvas),
            h(
              'details',
              { class: 'govuk-details hub-chart__data' },
              h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, 'Show the figures', h('span', { class: 'govuk-visually-hidden' }, `: ${f.title}`))),
              h('div', { class: 'govuk-details__text' }, f.table),
            ),
          ),
        ),
      ),
    );
  }

  /** The CSV of the same history, for the same day and bucket (the session cookie signs the download in). */
  setCsv(from: string, to: string): void {
    const q = new URLSearchParams({ from, to, bucket: this.bucket, format: 'csv' });
    this.csv.href = `/api/v1/metrics/history?${q.toString()}`;
  }

  update(all: Point[]): void {
    const points = fromFirstCase(all);
    const labels = points.map((p) => clock(p.start));
    const [volume, level, wait] = this.figures;
    this.draw(volume, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: 'Offered', data: points.map((p) => p.offered), backgroundColor: '#1d70b8', pointStyle: 'rect', order: 3 },
          { type: 'line', label: 'Answered', data: points.map((p) => p.answered), borderColor: '#00703c', backgroundColor: '#00703c', pointStyle: 'circle', pointRadius: 3, order: 1 },
          { type: 'line', label: 'Abandoned', data: points.map((p) => p.abandoned), borderColor: '#d4351c', backgroundColor: '#d4351c', borderDash: [6, 4], pointStyle: 'triangle', pointRadius: 4, order: 2 },
        ],
      },
      options: this.options('Cases', false),
    });
    this.draw(level, {
      type: 'line',
      data: { labels, datasets: [{ label: 'Service level (%)', data: points.map((p) => (p.serviceLevel === null ? null : Math.round(p.serviceLevel * 1000) / 10)), borderColor: '#1d70b8', backgroundColor: '#1d70b8', spanGaps: true }] },
      options: this.options('Per cent', true),
    });
    this.draw(wait, {
      type: 'line',
      data: { labels, datasets: [{ label: 'Average speed of answer (minutes)', data: points.map((p) => (p.averageSpeedOfAnswerSeconds === null ? null : Math.round(p.averageSpeedOfAnswerSeconds / 6) / 10)), borderColor: '#4c2c92', backgroundColor: '#4c2c92', spanGaps: true }] },
      options: this.options('Minutes', false),
    });
    this.describe(volume, volumeSummary(points), ['Offered', 'Answered', 'Abandoned'], points, (p) => [count(p.offered), count(p.answered), count(p.abandoned)]);
    this.describe(level, levelSummary(points), ['Offered', 'Answered within target', 'Service level'], points, (p) => [count(p.offered), count(p.answeredWithinTarget), percent(p.serviceLevel)]);
    this.describe(wait, waitSummary(points), ['Answered', 'Average speed of answer'], points, (p) => [count(p.answered), duration(p.averageSpeedOfAnswerSeconds === null ? null : Math.round(p.averageSpeedOfAnswerSeconds))]);
  }

  destroy(): void {
    for (const f of this.figures) f.chart?.destroy();
  }

  private figure(id: string, title: string): Figure {
    const summary = h('p', { class: 'govuk-body-s hub-chart__summary', id: `chart-${id}-summary` });
    const canvas = h('canvas', { role: 'img', 'aria-describedby': `chart-${id}-summary`, 'aria-label': title });
    return { id, title, canvas, summary, table: h('div'), chart: null };
  }

  private options(axis: string, percentAxis: boolean): ChartConfiguration['options'] {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, color: '#0b0c0c' } } },
      scales: {
        x: { ticks: { color: '#0b0c0c', autoSkip: true, maxRotation: 0 } },
        y: { beginAtZero: true, suggestedMax: percentAxis ? 100 : undefined, max: percentAxis ? 100 : undefined, title: { display: true, text: axis, color: '#0b0c0c' }, ticks: { color: '#0b0c0c', precision: 0 } },
      },
    };
  }

  private draw(f: Figure, config: ChartConfiguration): void {
    if (!f.chart) {
      f.chart = new Chart(f.canvas, config);
      return;
    }
    f.chart.data = config.data;
    f.chart.update('none');
  }

  private describe(f: Figure, summary: string, heads: string[], points: Point[], cells: (p: Point) => string[]): void {
    f.summary.textContent = summary;
    const busy = points.filter((p) => p.offered || p.answered || p.abandoned);
    if (!busy.length) return replace(f.table, h('p', { class: 'govuk-body' }, 'No cases offered yet today.'));
    const table = h(
      'table',
      { class: 'govuk-table hub-metrics-table', id: `chart-${f.id}-table` },
      h('caption', { class: 'govuk-table__caption govuk-table__caption--s' }, `${f.title}, per ${this.bucket === 'hour' ? 'hour' : '15 minutes'} (times with no cases left out)`),
      h(
        'thead',
        { class: 'govuk-table__head' },
        h('tr', { class: 'govuk-table__row' }, h('th', { scope: 'col', class: 'govuk-table__header' }, 'From'), heads.map((t) => h('th', { scope: 'col', class: 'govuk-table__header govuk-table__header--numeric' }, t))),
      ),
      h(
        'tbody',
        { class: 'govuk-table__body' },
        busy.map((p) =>
          h('tr', { class: 'govuk-table__row' }, h('th', { scope: 'row', class: 'govuk-table__header' }, clock(p.start)), cells(p).map((c) => h('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, c))),
        ),
      ),
    );
    replace(f.table, h('div', { class: 'hub-table-scroll', role: 'region', 'aria-label': `${f.title}: figures table`, tabindex: '0', id: `chart-${f.id}-scroll` }, table));
  }
}

/** The quiet night before the first case is left out of the charts (from one bucket before it); an empty day stays whole. */
function fromFirstCase(points: Point[]): Point[] {
  const first = points.findIndex((p) => p.offered || p.answered || p.abandoned);
  return first > 0 ? points.slice(first - 1) : points;
}

function peak(points: Point[], value: (p: Point) => number | null): Point | null {
  let best: Point | null = null;
  for (const p of points) {
    const v = value(p);
    if (v !== null && (best === null || v > (value(best) ?? -Infinity))) best = p;
  }
  return best;
}

function volumeSummary(points: Point[]): string {
  const offered = points.reduce((n, p) => n + p.offered, 0);
  if (!offered) return 'No cases offered yet today.';
  const answered = points.reduce((n, p) => n + p.answered, 0);
  const abandoned = points.reduce((n, p) => n + p.abandoned, 0);
  const busiest = peak(points, (p) => p.offered)!;
  return `Today: ${count(offered)} offered, ${count(answered)} answered, ${count(abandoned)} abandoned. Busiest from ${clock(busiest.start)}, with ${count(busiest.offered)} offered.`;
}

function levelSummary(points: Point[]): string {
  const offered = points.reduce((n, p) => n + p.offered, 0);
  const within = points.reduce((n, p) => n + p.answeredWithinTarget, 0);
  if (!offered) return `Service level today: ${NONE.toLowerCase()}.`;
  const low = peak(points, (p) => (p.serviceLevel === null ? null : 1 - p.serviceLevel))!;
  return `Service level today: ${percent(within / offered)}. Lowest from ${clock(low.start)}, at ${percent(low.serviceLevel)}.`;
}

function waitSummary(points: Point[]): string {
  const slowest = peak(points, (p) => p.averageSpeedOfAnswerSeconds);
  if (!slowest) return 'No case answered yet today.';
  return `Slowest average speed of answer from ${clock(slowest.start)}: ${duration(Math.round(slowest.averageSpeedOfAnswerSeconds!))}.`;
}
