import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's python with scikit-learn, SciPy, pandas, torch, onnx (the first python3 on PATH has none). */
export const PYTHON = '/usr/bin/python3';

/** True when /usr/bin/python3 can import every module named. */
export function pythonHas(...modules: string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Runs a Python script with /usr/bin/python3 and parses the last line of stdout as JSON.
 * `input` is written to its stdin. Throws with the script's stderr on failure.
 */
export function runPythonJson<T = unknown>(script: string, args: string[] = [], input?: string, timeoutMs = 600_000): T {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28, timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`python peer failed (${r.status}): ${r.stderr?.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
