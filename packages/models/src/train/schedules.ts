import { badOption, num, oneOf } from '../errors.js';

/**
 * A learning-rate schedule: the rate at each optimizer step (0-based), from the base rate.
 * - `constant`: lr.
 * - `step`: lr · gamma^⌊step / stepSize⌋ (PyTorch's StepLR, counted in steps).
 * - `cosine`: minLr + (lr − minLr)(1 + cos(π·t/T))/2 over T = totalSteps (the whole run by default), then minLr.
 * - `warmup`: linear from lr/warmupSteps to lr over warmupSteps, then `after` (default constant) on the remaining steps.
 */
export type Schedule =
  | { kind: 'constant' }
  | { kind: 'step'; stepSize: number; gamma?: number }
  | { kind: 'cosine'; totalSteps?: number; minLr?: number }
  | { kind: 'warmup'; warmupSteps: number; after?: Exclude<Schedule, { kind: 'warmup' }> };

export const SCHEDULE_KINDS = ['constant', 'step', 'cosine', 'warmup'] as const;

/** Validates a schedule and returns lr(step) for a run of `totalSteps` steps. */
export function makeSchedule(s: Schedule | Schedule['kind'] | undefined, lr: number, totalSteps: number, field = 'schedule'): (step: number) => number {
  const sched: Schedule = typeof s === 'string' ? ({ kind: s } as Schedule) : (s ?? { kind: 'constant' });
  if (!sched || typeof sched !== 'object') throw badOption(field, `one of ${SCHEDULE_KINDS.map((k) => `'${k}'`).join(', ')} or an object with kind`, s);
  const kind = oneOf(`${field}.kind`, sched.kind, SCHEDULE_KINDS);
  switch (kind) {
    case 'constant':
      return () => lr;
    case 'step': {
      const o = sched as Extract<Schedule, { kind: 'step' }>;
      const size = num(`${field}.stepSize`, o.stepSize, { min: 1, int: true });
      const gamma = num(`${field}.gamma`, o.gamma ?? 0.1, { min: 0, max: 1 });
      return (t) => lr * Math.pow(gamma, Math.floor(t / size));
    }
    case 'cosine': {
      const o = sched as Extract<Schedule, { kind: 'cosine' }>;
      const T = num(`${field}.totalSteps`, o.totalSteps ?? Math.max(1, totalSteps), { min: 1, int: true });
      const minLr = num(`${field}.minLr`, o.minLr ?? 0, { min: 0, max: lr });
      return (t) => (t >= T ? minLr : minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / T))) / 2);
    }
    case 'warmup': {
      const o = sched as Extract<Schedule, { kind: 'warmup' }>;
      const w = num(`${field}.warmupSteps`, o.warmupSteps, { min: 1, int: true });
      if (o.after && (o.after as Schedule).kind === 'warmup') throw badOption(`${field}.after`, "a schedule other than 'warmup'", o.after);
      const after = makeSchedule(o.after, lr, Math.max(1, totalSteps - w), `${field}.after`);
      return (t) => (t < w ? (lr * (t + 1)) / w : after(t - w));
    }
  }
}
