import { MonitorError } from '../errors.js';

export interface MetricThreshold {
  /** Metric name as found in `state.metrics` (e.g. 'accuracy', 'rmse'). */
  metric: string;
  /** Retrain when the metric falls below this. */
  min?: number;
  /** Retrain when the metric rises above this. */
  max?: number;
}

export interface RetrainPolicyConfig {
  metrics?: MetricThreshold[];
  /** Retrain when the share of drifted columns is at least this (e.g. 0.5). */
  maxDriftShare?: number;
  /** Columns whose own drift triggers a retrain. */
  features?: string[];
  /** Retrain on any alarm of these detectors (names as in `state.alarms`); '*' for any. */
  detectors?: string[];
  /** No retrain before this many labelled samples in the window. */
  minSamples?: number;
  /** No retrain within this many milliseconds of the last one. */
  cooldownMs?: number;
}

export interface PolicyState {
  /** Evaluation time, ms since the epoch (passed in so evaluation is pure and replayable). */
  now: number;
  lastRetrainAt?: number | null;
  samples: number;
  metrics?: Record<string, number>;
  drift?: { share: number; columns: { column: string; drifted: boolean; score?: number; test?: string }[] };
  alarms?: { detector: string; at?: number }[];
}

export type RetrainReason =
  | { kind: 'metric'; metric: string; value: number; bound: 'min' | 'max'; threshold: number; message: string }
  | { kind: 'drift_share'; share: number; threshold: number; message: string }
  | { kind: 'feature_drift'; column: string; test?: string; score?: number; message: string }
  | { kind: 'detector'; detector: string; at?: number; message: string };

export type RetrainBlocker =
  | { kind: 'min_samples'; samples: number; required: number; message: string }
  | { kind: 'cooldown'; lastRetrainAt: number; until: number; message: string };

export interface RetrainDecision {
  retrain: boolean;
  reasons: RetrainReason[];
  blockedBy: RetrainBlocker[];
  evaluatedAt: string;
}

/**
 * When to retrain, as data: thresholds on quality metrics, the dataset drift share, drift of
 * named features and detector alarms, gated by a minimum sample count and a cooldown.
 * `evaluate` is pure — the decision with its reasons can go straight to a job queue and an audit log.
 */
export class RetrainPolicy {
  readonly config: Required<Omit<RetrainPolicyConfig, 'maxDriftShare'>> & { maxDriftShare?: number };

  constructor(config: RetrainPolicyConfig) {
    for (const m of config.metrics ?? []) {
      if (typeof m.metric !== 'string' || (m.min === undefined && m.max === undefined)) {
        throw new MonitorError('INVALID_OPTION', `RetrainPolicy: metric threshold ${JSON.stringify(m)} needs a 'metric' name and a 'min' or 'max'`);
      }
    }
    if (config.maxDriftShare !== undefined && !(config.maxDriftShare > 0 && config.maxDriftShare <= 1)) {
      throw new MonitorError('INVALID_OPTION', `RetrainPolicy: maxDriftShare must be in (0, 1], got ${config.maxDriftShare}`);
    }
    if (config.minSamples !== undefined && !(config.minSamples >= 0)) throw new MonitorError('INVALID_OPTION', `RetrainPolicy: minSamples must be ≥ 0, got ${config.minSamples}`);
    if (config.cooldownMs !== undefined && !(config.cooldownMs >= 0)) throw new MonitorError('INVALID_OPTION', `RetrainPolicy: cooldownMs must be ≥ 0, got ${config.cooldownMs}`);
    this.config = { metrics: config.metrics ?? [], features: config.features ?? [], detectors: config.detectors ?? [], minSamples: config.minSamples ?? 0, cooldownMs: config.cooldownMs ?? 0, maxDriftShare: config.maxDriftShare };
  }

  evaluate(state: PolicyState): RetrainDecision {
    if (!Number.isFinite(state.now)) throw new MonitorError('INVALID_VALUE', `RetrainPolicy.evaluate: state.now must be a timestamp in ms, got ${state.now}`);
    const reasons: RetrainReason[] = [];
    for (const t of this.config.metrics) {
      const v = state.metrics?.[t.metric];
      if (v === undefined) continue;
      if (!Number.isFinite(v)) throw new MonitorError('INVALID_VALUE', `RetrainPolicy.evaluate: metric '${t.metric}' is ${v}`);
      if (t.min !== undefined && v < t.min) reasons.push({ kind: 'metric', metric: t.metric, value: v, bound: 'min', threshold: t.min, message: `${t.metric} ${v.toFixed(4)} < ${t.min}` });
      if (t.max !== undefined && v > t.max) reasons.push({ kind: 'metric', metric: t.metric, value: v, bound: 'max', threshold: t.max, message: `${t.metric} ${v.toFixed(4)} > ${t.max}` });
    }
    if (state.drift && this.config.maxDriftShare !== undefined && state.drift.share >= this.config.maxDriftShare) {
      reasons.push({ kind: 'drift_share', share: state.drift.share, threshold: this.config.maxDriftShare, message: `${(state.drift.share * 100).toFixed(1)}% of columns drifted (≥ ${this.config.maxDriftShare * 100}%)` });
    }
    for (const f of this.config.features) {
      const c = state.drift?.columns.find((x) => x.column === f);
      if (c?.drifted) reasons.push({ kind: 'feature_drift', column: f, test: c.test, score: c.score, message: `feature '${f}' drifted${c.test ? ` (${c.test} ${c.score})` : ''}` });
    }
    for (const a of state.alarms ?? []) {
      if (this.config.detectors.includes('*') || this.config.detectors.includes(a.detector)) reasons.push({ kind: 'detector', detector: a.detector, at: a.at, message: `detector '${a.detector}' raised an alarm` });
    }
    const blockedBy: RetrainBlocker[] = [];
    if (state.samples < this.config.minSamples) blockedBy.push({ kind: 'min_samples', samples: state.samples, required: this.config.minSamples, message: `${state.samples} samples < ${this.config.minSamples} required` });
    if (state.lastRetrainAt != null && state.now - state.lastRetrainAt < this.config.cooldownMs) {
      const until = state.lastRetrainAt + this.config.cooldownMs;
      blockedBy.push({ kind: 'cooldown', lastRetrainAt: state.lastRetrainAt, until, message: `in cooldown until ${new Date(until).toISOString()}` });
    }
    return { retrain: reasons.length > 0 && blockedBy.length === 0, reasons, blockedBy, evaluatedAt: new Date(state.now).toISOString() };
  }
}
