import type { DatasetDriftResult } from '../drift/dataset-drift.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface MetricPoint {
  /** ISO time or any label for the x axis. */
  at: string;
  metrics: Record<string, number>;
}

/** The JSON report: plain data, the input of the HTML renderer. */
export interface MonitorReport {
  format: 'gantry.monitor.report';
  version: 1;
  title: string;
  generatedAt: string;
  drift: DatasetDriftResult;
  metricsHistory: MetricPoint[];
}

export function buildReport(input: { title?: string; drift: DatasetDriftResult; metricsHistory?: MetricPoint[]; generatedAt?: string }): MonitorReport {
  return {
    format: 'gantry.monitor.report',
    version: 1,
    title: input.title ?? 'Gantry monitoring report',
    generatedAt: input.generatedAt ?? new Date().toISOString(),
    drift: input.drift,
    metricsHistory: input.metricsHistory ?? [],
  };
}

/** Infinity and NaN are not JSON: written as strings so the report round-trips explicitly. */
export function reportToJson(r: MonitorReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

export function writeJsonReport(path: string, r: MonitorReport): void {
  writeFileAtomic(path, reportToJson(r));
}
