/**
 * Count, mean and variance by Welford's update; merging two states uses Chan, Golub & LeVeque's
 * (1979) pairwise formula — the pair River's `stats.Var` uses (`update` / `+=`).
 */
export class Moments {
  n = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;

  update(x: number): this {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    return this;
  }

  /** Welford over xs[from..to), the same operations in the same order as `update` on each value. */
  updateMany(xs: ArrayLike<number>, from = 0, to = xs.length): this {
    let n = this.n;
    let mean = this.mean;
    let m2 = this.m2;
    for (let i = from; i < to; i++) {
      const x = xs[i];
      n++;
      const d = x - mean;
      mean += d / n;
      m2 += d * (x - mean);
    }
    this.n = n;
    this.mean = mean;
    this.m2 = m2;
    return this;
  }

  merge(o: Moments): this {
    if (o.n === 0) return this;
    if (this.n === 0) {
      this.n = o.n;
      this.mean = o.mean;
      this.m2 = o.m2;
      return this;
    }
    const n = this.n + o.n;
    const d = o.mean - this.mean;
    this.mean += (d * o.n) / n;
    this.m2 += o.m2 + (d * d * this.n * o.n) / n;
    this.n = n;
    return this;
  }

  /** Variance with `ddof` (0 = population, as numpy's default). */
  variance(ddof = 0): number {
    return this.n - ddof > 0 ? this.m2 / (this.n - ddof) : 0;
  }

  toJSON(): { n: number; mean: number; m2: number } {
    return { n: this.n, mean: this.mean, m2: this.m2 };
  }

  static fromJSON(s: { n: number; mean: number; m2: number }): Moments {
    const m = new Moments();
    m.n = s.n;
    m.mean = s.mean;
    m.m2 = s.m2;
    return m;
  }
}
