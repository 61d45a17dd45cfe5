// The npm `minhash` package ships no types; only what the tests and benchmarks use.
declare module "minhash" {
  export class Minhash {
    constructor(config?: { numPerm?: number; seed?: number });
    update(value: string): void;
    jaccard(other: Minhash): number;
  }
  export class LshIndex {
    constructor(config?: { bandSize?: number });
    insert(key: string, minhash: Minhash): void;
    query(minhash: Minhash): string[];
  }
  const _default: { Minhash: typeof Minhash; LshIndex: typeof LshIndex };
  export default _default;
}
