/**
 * Standard normal variates by the ziggurat method (Marsaglia & Tsang 2000, 128 layers), on a
 * mulberry32 stream: ~1 integer draw and one compare per value, versus a log, a square root and
 * a sine/cosine per pair for Box–Muller. Used by the monitor bench to generate its windows fast.
 */
export function ziggurat(seed: number): { normal: () => number; uniform: () => number } {
  let a = seed >>> 0;
  const int32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) | 0;
  };
  const uniform = () => (int32() >>> 0) / 4294967296 + 1.1641532182693481e-10;
  const kn = new Float64Array(128), wn = new Float64Array(128), fn = new Float64Array(128);
  const m1 = 2147483648.0, vn = 9.91256303526217e-3;
  let dn = 3.442619855899, tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * m1; kn[1] = 0;
  wn[0] = q / m1; wn[127] = dn / m1;
  fn[0] = 1; fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * m1; tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn); wn[i] = dn / m1;
  }
  const fix = (hz: number, iz: number): number => {
    const r = 3.442619855899;
    for (;;) {
      let x = hz * wn[iz];
      if (iz === 0) {
        let y: number;
        do { x = -Math.log(uniform()) / r; y = -Math.log(uniform()); } while (y + y < x * x);
        return hz > 0 ? r + x : -r - x;
      }
      if (fn[iz] + uniform() * (fn[iz - 1] - fn[iz]) < Math.exp(-0.5 * x * x)) return x;
      hz = int32(); iz = hz & 127;
      if (Math.abs(hz) < kn[iz]) return hz * wn[iz];
    }
  };
  const normal = () => { const hz = int32(); const iz = hz & 127; return Math.abs(hz) < kn[iz] ? hz * wn[iz] : fix(hz, iz); };
  return { normal, uniform };
}
