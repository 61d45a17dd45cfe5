/** Hashes of n-grams and whole texts, and the typed-array map the index is built on. */

/**
 * Distinct hashes of the n-grams of a token-hash sequence (a text shorter than n gives one n-gram
 * of all its tokens; an empty text gives none), in first-seen order.
 */
export class NgramHasher {
  private stamp = new Uint32Array(1024);
  private keys = new Uint32Array(1024);
  private epoch = 0;
  private readonly out: number[] = [];

  constructor(private readonly n: number) {}

  hashes(tokens: ArrayLike<number>): readonly number[] {
    const { n, out } = this;
    out.length = 0;
    if (tokens.length === 0) return out;
    const count = Math.max(1, tokens.length - n + 1);
    if (count * 2 > this.stamp.length) {
      this.stamp = new Uint32Array(1 << Math.ceil(Math.log2(count * 2)));
      this.keys = new Uint32Array(this.stamp.length);
      this.epoch = 0;
    }
    const epoch = ++this.epoch;
    const mask = this.stamp.length - 1;
    const width = Math.min(n, tokens.length);
    for (let i = 0; i < count; i++) {
      let h = 0x9747b28c ^ width;
      for (let k = i; k < i + width; k++) {
        h = Math.imul(h ^ tokens[k]!, 0x5bd1e995);
        h ^= h >>> 13;
      }
      h >>>= 0;
      let slot = (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
      while (this.stamp[slot] === epoch && this.keys[slot] !== h) slot = (slot + 1) & mask;
      if (this.stamp[slot] === epoch) continue;
      this.stamp[slot] = epoch;
      this.keys[slot] = h;
      out.push(h);
    }
    return out;
  }
}

/** 64-bit fingerprint of the token-hash sequence tokens[from..], as a Map key. */
export function textFingerprint(tokens: ArrayLike<number>, from = 0): string {
  let h1 = 0x1eadbeef;
  let h2 = 0x41c6ce57;
  for (let i = from; i < tokens.length; i++) {
    h1 = Math.imul(h1 ^ tokens[i]!, -1640531535);
    h2 = Math.imul(h2 ^ tokens[i]!, 1597334677);
    h1 ^= h1 >>> 15;
    h2 ^= h2 >>> 13;
  }
  return `${(h1 >>> 0).toString(36)}:${(h2 >>> 0).toString(36)}:${tokens.length - from}`;
}

/**
 * An open-addressing map from uint32 keys to uint32 values > 0, in one typed array of
 * [key, value] pairs (one cache line per probe; value 0 marks an empty slot).
 */
export class U32Map {
  private slots: Uint32Array;
  size = 0;

  constructor(expected: number) {
    this.slots = new Uint32Array(2 << Math.ceil(Math.log2(Math.max(16, expected * 2))));
  }

  /** Value for a key, or 0 when absent. */
  get(key: number): number {
    const { slots } = this;
    const mask = slots.length - 2;
    let at = (Math.imul(key, 0x9e3779b1) << 1) & mask;
    for (let value = slots[at + 1]!; value !== 0; value = slots[at + 1]!) {
      if (slots[at] === key) return value;
      at = (at + 2) & mask;
    }
    return 0;
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 4 > this.slots.length) this.grow();
    const { slots } = this;
    const mask = slots.length - 2;
    let at = (Math.imul(key, 0x9e3779b1) << 1) & mask;
    while (slots[at + 1] !== 0 && slots[at] !== key) at = (at + 2) & mask;
    if (slots[at + 1] === 0) this.size++;
    slots[at] = key;
    slots[at + 1] = value;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let at = 0; at < old.length; at += 2) if (old[at + 1] !== 0) this.set(old[at]!, old[at + 1]!);
  }

  /** The table's array, to rebuild it in a worker without re-inserting. */
  export(): U32MapData {
    return { slots: this.slots, size: this.size };
  }

  static import(data: U32MapData): U32Map {
    const map = new U32Map(1);
    map.slots = data.slots;
    map.size = data.size;
    return map;
  }
}

export interface U32MapData {
  slots: Uint32Array;
  size: number;
}
