/** Binary indexed tree over ticket numbers (1-based): rank and k-th lookups in O(log n). */
export class Fenwick {
  private tree = new Int32Array(1024);

  add(index: number, delta: number): void {
    while (index >= this.tree.length) this.grow();
    for (let i = index; i < this.tree.length; i += i & -i) this.tree[i] += delta;
  }

  /** Sum of [1, index]. */
  prefix(index: number): number {
    let sum = 0;
    for (let i = Math.min(index, this.tree.length - 1); i > 0; i -= i & -i) sum += this.tree[i];
    return sum;
  }

  /** Smallest index whose prefix sum reaches k (k ≥ 1), or 0 when the total is below k. */
  findKth(k: number): number {
    const size = this.tree.length;
    if (k < 1 || this.prefix(size - 1) < k) return 0;
    let pos = 0;
    let step = 1;
    while (step * 2 < size) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < size && this.tree[next] < k) {
        pos = next;
        k -= this.tree[next];
      }
    }
    return pos + 1;
  }

  private grow(): void {
    const old = this.tree;
    const values = new Int32Array(old.length);
    for (let i = 1; i < old.length; i++) values[i] = this.prefix(i) - this.prefix(i - 1);
    this.tree = new Int32Array(old.length * 2);
    for (let i = 1; i < values.length; i++) if (values[i]) this.add(i, values[i]);
  }
}
