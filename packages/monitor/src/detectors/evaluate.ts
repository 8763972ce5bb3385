/** A streaming change detector: River-style `update(x)` returning itself, `driftDetected` after each update. */
export interface DriftDetector {
  update(x: number): unknown;
  readonly driftDetected: boolean;
}

export interface DetectionScore {
  /** Index of each alarm. */
  alarms: number[];
  /** For each true change point, updates from the change to the first alarm after it (null if missed). */
  delays: (number | null)[];
  /** Alarms before the first change point, or more than `tolerance` after a change with an earlier alarm. */
  falseAlarms: number;
  /** falseAlarms per 1000 stable samples. */
  falseAlarmRate: number;
}

/**
 * Runs a detector over a stream with known change points and scores it: detection delay per
 * change and false alarms (an alarm is true if it is the first alarm within `tolerance` samples
 * after a change point).
 */
export function scoreDetector(make: () => DriftDetector, stream: ArrayLike<number>, changePoints: number[], tolerance = 1000): DetectionScore {
  const det = make();
  const alarms: number[] = [];
  for (let i = 0; i < stream.length; i++) {
    det.update(stream[i]);
    if (det.driftDetected) alarms.push(i);
  }
  const used = new Set<number>();
  const delays = changePoints.map((cp) => {
    const a = alarms.find((t) => t >= cp && t < cp + tolerance && !used.has(t));
    if (a === undefined) return null;
    used.add(a);
    return a - cp;
  });
  const falseAlarms = alarms.filter((a) => !used.has(a)).length;
  const stable = stream.length - changePoints.length * 0;
  return { alarms, delays, falseAlarms, falseAlarmRate: (falseAlarms * 1000) / stable };
}
