/**
 * Exact-duplicate detection in bounded memory: 64-bit fingerprints of records in an
 * open-addressing table of typed arrays (12 bytes a slot, filled up to 85%), so millions
 * of examples cost tens of MB, not a Map of strings.
 */

/** Fingerprint of up to three strings, hashed in place (concatenating first would copy every record). */
export function fingerprint(out: Uint32Array, a: string, b: string, c = ""): void {
  // Two independent 32-bit multiplicative lanes over the UTF-16 code units.
  let h1 = 0x1eadbeef;
  let h2 = 0x41c6ce57;
  for (let p = 0; p < 3; p++) {
    const part = p === 0 ? a : p === 1 ? b : c;
    for (let i = 0; i < part.length; i++) {
      const ch = part.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, -1640531535);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    // A separator outside the UTF-16 range, so ("ab", "c") and ("a", "bc") differ.
    h1 = Math.imul(h1 ^ 0x10000, -1640531535);
    h2 = Math.imul(h2 ^ 0x10000, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), -2048144789) ^ Math.imul(h2 ^ (h2 >>> 13), -1028477387);
  h2 = Math.imul(h2 ^ (h2 >>> 16), -2048144789) ^ Math.imul(h1 ^ (h1 >>> 13), -1028477387);
  out[0] = h1;
  out[1] = h2 | 1; // lo is never 0: 0 marks an empty slot
}

const MAX_LOAD = 0.85;

export class DuplicateIndex {
  /** Slot k holds [hi, lo, line] at 3k..3k+2: one cache line per probe. */
  private slots: Uint32Array;
  private capacity: number;
  private size = 0;
  private readonly scratch = new Uint32Array(2);

  constructor(initialCapacity = 1 << 12) {
    this.capacity = 1 << Math.ceil(Math.log2(Math.max(2, initialCapacity)));
    this.slots = new Uint32Array(this.capacity * 3);
  }

  get count(): number {
    return this.size;
  }

  /** Adds a record; returns the other line it was seen on (see insert), or 0 when it is new. */
  addOrGet(line: number, a: string, b: string, c = ""): number {
    fingerprint(this.scratch, a, b, c);
    return this.insert(this.scratch[0]!, this.scratch[1]!, line);
  }

  /**
   * Adds a fingerprint seen on `line` (> 0); returns the other line it was seen on, or 0 when new.
   * Lines may arrive out of order (from workers): the table keeps the smallest, so every repeat is
   * reported once, as the copy max(line, other) of min(line, other).
   */
  insert(hi: number, lo: number, line: number): number {
    if (this.size + 1 > this.capacity * MAX_LOAD) this.grow();
    const { slots } = this;
    const mask = this.capacity - 1;
    let k = ((hi ^ Math.imul(lo, 0x9e3779b1)) & mask) * 3;
    while (slots[k + 1] !== 0) {
      if (slots[k] === hi >>> 0 && slots[k + 1] === lo >>> 0) {
        const stored = slots[k + 2]!;
        if (line < stored) slots[k + 2] = line;
        return stored;
      }
      k += 3;
      if (k === slots.length) k = 0;
    }
    slots[k] = hi;
    slots[k + 1] = lo;
    slots[k + 2] = line;
    this.size++;
    return 0;
  }

  private grow(): void {
    const old = this.slots;
    this.capacity *= 2;
    this.slots = new Uint32Array(this.capacity * 3);
    this.size = 0;
    for (let k = 0; k < old.length; k += 3)
      if (old[k + 1] !== 0) this.insert(old[k]!, old[k + 1]!, old[k + 2]!);
  }
}

/** Where a dataset validator sends each valid record's text to find exact duplicates. */
export interface DuplicateDetector {
  /** Returns the other line with the same record, or 0 (always 0 when detection happens elsewhere). */
  addOrGet(line: number, a: string, b: string, c?: string): number;
}

/** Collects fingerprints in batches for another thread to detect duplicates with (see parallel-dataset.ts). */
export class FingerprintBatcher implements DuplicateDetector {
  private batch = FingerprintBatcher.empty();
  private readonly scratch = new Uint32Array(2);

  constructor(
    private readonly flushTo: (batch: FingerprintBatch) => void,
    private readonly batchSize = 1 << 15,
  ) {}

  addOrGet(line: number, a: string, b: string, c = ""): number {
    fingerprint(this.scratch, a, b, c);
    const { batch } = this;
    batch.hi[batch.length] = this.scratch[0]!;
    batch.lo[batch.length] = this.scratch[1]!;
    batch.lines[batch.length] = line;
    if (++batch.length === this.batchSize) this.flush();
    return 0;
  }

  flush(): void {
    if (this.batch.length === 0) return;
    this.flushTo(this.batch);
    this.batch = FingerprintBatcher.empty(this.batchSize);
  }

  private static empty(size = 1 << 15): FingerprintBatch {
    return { hi: new Uint32Array(size), lo: new Uint32Array(size), lines: new Uint32Array(size), length: 0 };
  }
}

export interface FingerprintBatch {
  hi: Uint32Array;
  lo: Uint32Array;
  lines: Uint32Array;
  length: number;
}

/** Where a benchmark validator sends each item's id to find one used twice. */
export interface IdDetector {
  /** Returns the earlier line with this id, or 0 (always 0 when detection happens elsewhere). */
  addOrGet(line: number, id: string, column: number): number;
}

export class IdIndex implements IdDetector {
  private readonly lines = new Map<string, number>();

  addOrGet(line: number, id: string): number {
    const earlier = this.lines.get(id);
    if (earlier !== undefined) return earlier;
    this.lines.set(id, line);
    return 0;
  }
}

/** Ids of one worker's range, for the parent to check across ranges (see parallel-dataset.ts). */
export interface IdBatch {
  ids: string[];
  lines: number[];
  columns: number[];
}

/** Collects ids in batches for another thread to find repeats with. */
export class IdBatcher implements IdDetector {
  private batch: IdBatch = { ids: [], lines: [], columns: [] };

  constructor(
    private readonly flushTo: (batch: IdBatch) => void,
    private readonly batchSize = 1 << 14,
  ) {}

  addOrGet(line: number, id: string, column: number): number {
    this.batch.ids.push(id);
    this.batch.lines.push(line);
    this.batch.columns.push(column);
    if (this.batch.ids.length === this.batchSize) this.flush();
    return 0;
  }

  flush(): void {
    if (this.batch.ids.length === 0) return;
    this.flushTo(this.batch);
    this.batch = { ids: [], lines: [], columns: [] };
  }
}
