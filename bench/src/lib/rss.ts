import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `node --import tsx <script> <args>` in a child process and reports its peak RSS (from
 * /proc via `process.resourceUsage().maxRSS` printed by the child) and its JSON result.
 * Peak-RSS measurements need their own process: the parent's heap would pollute them.
 * The child must print one JSON line last on stdout; `maxRssMiB` is added from its resource usage.
 */
export function runChild<T extends object>(script: string | URL, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<T & { maxRssMiB: number }> {
  const path = typeof script === 'string' ? script : fileURLToPath(script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env, GANTRY_REPORT_RSS: '1' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${path} exited with ${code}`));
      const lines = out.trim().split('\n');
      try {
        resolve(JSON.parse(lines[lines.length - 1]));
      } catch (e) {
        reject(new Error(`${path}: last line is not JSON: ${lines[lines.length - 1]}`));
      }
    });
  });
}

/** For child scripts: print the result with this process's peak RSS (MiB) and exit. */
export function reportAndExit(result: object): never {
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ...result, maxRssMiB }) + '\n');
  process.exit(0);
}
