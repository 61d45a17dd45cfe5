/**
 * A set of 64-bit string fingerprints with the line each was first seen on, in typed arrays:
 * about 24 bytes per entry, so millions of examples fit in a few tens of MB.
 */
export class DuplicateIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private lines: Uint32Array;
  private size = 0;

  constructor(initialCapacity = 1 << 12) {
    this.hi = new Uint32Array(initialCapacity);
    this.lo = new Uint32Array(initialCapacity);
    this.lines = new Uint32Array(initialCapacity);
  }

  get count(): number {
    return this.size;
  }

  /** Adds the text's fingerprint; returns the earlier line when it was already present, else 0. */
  addOrGet(text: string, line: number): number {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return this.insert(h1 >>> 0, (h2 | 1) >>> 0, line);
  }

  private insert(hi: number, lo: number, line: number): number {
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    const mask = this.hi.length - 1;
    let slot = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask;
    while (this.lo[slot] !== 0) {
      if (this.hi[slot] === hi && this.lo[slot] === lo) return this.lines[slot]!;
      slot = (slot + 1) & mask;
    }
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.lines[slot] = line;
    this.size++;
    return 0;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(hi.length * 2);
    this.lines = new Uint32Array(hi.length * 2);
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (lo[i] !== 0) this.insert(hi[i]!, lo[i]!, lines[i]!);
  }
}
