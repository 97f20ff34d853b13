import { SERVICE_LABELS, type BenchResult } from './result.js';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  /** Ours in the project colour; the floor and the alternatives in greys. */
  readonly ours: boolean;
}

interface Panel {
  readonly title: string;
  readonly bars: readonly Bar[];
}

const WIDTH = 860;
const LABEL_WIDTH = 250;
const BAR_HEIGHT = 18;
const BAR_GAP = 6;
const TITLE_HEIGHT = 28;
const PANEL_GAP = 18;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const OURS = new Set(['conditional', 'transaction', 'WEAK']);
const fmt = (value: number, digits: number): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

function processes(result: BenchResult): string {
  const setup = result.contentionSetup;
  return `${setup.processes * setup.contendersPerProcess} contenders in ${setup.processes} processes`;
}

function panels(result: BenchResult): Panel[] {
  const list: Panel[] = [];
  const firestore = result.uncontended.find((u) => u.service === 'firestore');
  if (firestore) {
    list.push({
      title: 'STRONG uncontended acquire + release: median ms (lower is better)',
      bars: firestore.rows.map((row) => ({
        label: row.name,
        value: row.cycle.median,
        text: `${fmt(row.cycle.median, 1)} ms · ${fmt(row.ratioToFloor, 2)}x floor · ${fmt(row.requestsPerCycle, 0)} RPCs`,
        ours: OURS.has(row.name),
      })),
    });
  }
  const contended = result.contention.filter((run) => run.service === 'firestore' && !run.variant);
  if (contended.length) {
    list.push({
      title: `STRONG contended, ${processes(result)}: acquisitions/s (higher is better)`,
      bars: contended.map((run) => ({
        label: run.name,
        value: run.acquisitionsPerSecond,
        text: `${fmt(run.acquisitionsPerSecond, 1)}/s · ${fmt(run.requestsPerAcquisition, 1)} requests each`,
        ours: OURS.has(run.name),
      })),
    });
    list.push({
      title: 'STRONG contended handoff gap, release to next acquire: median ms (lower is better)',
      bars: contended.map((run) => ({
        label: run.name,
        value: run.handoffGapMs.median,
        text: `${fmt(run.handoffGapMs.median, 1)} ms (p95 ${fmt(run.handoffGapMs.p95, 0)} ms)`,
        ours: OURS.has(run.name),
      })),
    });
  }
  const weak = result.uncontended.find((u) => u.service === 'memcached');
  if (weak) {
    list.push({
      title: 'WEAK (memcached) uncontended acquire + release: median ms (lower is better)',
      bars: weak.rows.map((row) => ({
        label: row.name,
        value: row.cycle.median,
        text: `${fmt(row.cycle.median, 3)} ms · ${fmt(row.ratioToFloor, 2)}x floor`,
        ours: OURS.has(row.name),
      })),
    });
  }
  return list;
}

/** docs/bench.svg: horizontal bar panels drawn by hand (no chart library), from one run's figures. */
export function renderChart(result: BenchResult): string {
  const parts: string[] = [];
  let y = 44;
  const plotWidth = WIDTH - LABEL_WIDTH - 220;
  for (const panel of panels(result)) {
    parts.push(`<text x="12" y="${y + 16}" class="title">${escape(panel.title)}</text>`);
    y += TITLE_HEIGHT;
    const max = Math.max(
      ...panel.bars.map((bar) => (Number.isFinite(bar.value) ? bar.value : 0)),
      1e-9,
    );
    for (const bar of panel.bars) {
      const width = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * plotWidth) : 0;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 13}" class="label" text-anchor="end">${escape(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" class="${bar.ours ? 'ours' : 'other'}"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 13}" class="value">${escape(bar.text)}</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += PANEL_GAP;
  }
  const header = [
    `gcp-locking bench (${result.quick ? 'quick' : 'full'}), ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${result.machine.cpus} shared CPUs`,
    `${SERVICE_LABELS.firestore} and memcached on the same machine: compare ratios, not absolute times`,
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" role="img" aria-label="gcp-locking benchmark">`,
    '<style>',
    '  text { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #24292f; }',
    '  .title { font-size: 13px; font-weight: 600; } .label { font-size: 12px; } .value { font-size: 11px; fill: #57606a; }',
    '  .ours { fill: #1a73e8; } .other { fill: #9aa0a6; } .head { font-size: 11px; fill: #57606a; }',
    '</style>',
    `<rect width="${WIDTH}" height="${y + 10}" fill="#ffffff"/>`,
    ...header.map(
      (line, i) => `<text x="12" y="${18 + i * 15}" class="head">${escape(line)}</text>`,
    ),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
