/** Binary indexed tree over ticket numbers (1-based): point update, prefix sum and k-th lookup in O(log n). */
export class Fenwick {
  private tree = new Int32Array(1024);

  add(index: number, delta: number): void {
    if (!Number.isSafeInteger(index) || index < 1) throw new RangeError(`Fenwick index must be a positive integer, got ${index}`);
    while (index >= this.tree.length) this.grow();
    for (let i = index; i < this.tree.length; i += i & -i) this.tree[i] += delta;
  }

  /** Sum of [1, index]. */
  prefix(index: number): number {
    let sum = 0;
    for (let i = Math.min(index, this.tree.length - 1); i > 0; i -= i & -i) sum += this.tree[i];
    return sum;
  }

  /** Smallest index whose prefix sum reaches k (k ≥ 1), or 0 when the total is below k. Needs non-negative values. */
  findKth(k: number): number {
    const size = this.tree.length;
    if (k < 1 || this.prefix(size - 1) < k) return 0;
    let pos = 0;
    for (let step = size >> 1; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < size && this.tree[next] < k) {
        pos = next;
        k -= this.tree[next];
      }
    }
    return pos + 1;
  }

  /**
   * Doubles the capacity in O(n): the old nodes keep their ranges, the new node at the old length
   * covers everything before it, and every other new node covers only new, empty indices.
   */
  private grow(): void {
    const old = this.tree;
    this.tree = new Int32Array(old.length * 2);
    this.tree.set(old);
    this.tree[old.length] = this.prefixOf(old, old.length - 1);
  }

  private prefixOf(tree: Int32Array, index: number): number {
    let sum = 0;
    for (let i = index; i > 0; i -= i & -i) sum += tree[i];
    return sum;
  }
}
