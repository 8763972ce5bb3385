import { readFileSync } from 'node:fs';

/**
 * CPU time (ms, user + system) of the calling thread, from /proc/thread-self/stat (Linux;
 * clock ticks of 10 ms). process.cpuUsage() would count every thread of the process, including
 * lavapipe's workers, which is not what "the main thread's CPU" means.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / 100;
  } catch {
    return undefined;
  }
}
