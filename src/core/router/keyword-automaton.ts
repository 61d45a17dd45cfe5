/**
 * One Aho-Corasick automaton over all the router's keywords: a query is read once, whatever the number
 * of keywords (a search per keyword made routing cost queries × keywords: 15 s of the app's thread for
 * an 800,000-item benchmark and 100 keywords). Matching is on UTF-16 code units, as `String.includes`.
 */
export interface KeywordAutomaton {
  /** The indexes (into the keywords it was built from) of the distinct keywords that occur in `text`. */
  find(text: string): number[];
}

export function keywordAutomaton(keywords: readonly string[]): KeywordAutomaton {
  // A trie: node 0 is the root; `next` holds each node's edges by code unit.
  const next: Map<number, number>[] = [new Map()];
  const output: number[] = [-1]; // the keyword that ends at a node (-1: none; a repeated one counts as its first)
  keywords.forEach((keyword, index) => {
    let node = 0;
    for (let i = 0; i < keyword.length; i++) {
      const c = keyword.charCodeAt(i);
      let child = next[node]!.get(c);
      if (child === undefined) {
        child = next.push(new Map()) - 1;
        output.push(-1);
        next[node]!.set(c, child);
      }
      node = child;
    }
    if (output[node] === -1) output[node] = index;
  });
  // Breadth first: each node's failure link (longest proper suffix in the trie) and dictionary link
  // (the nearest node on the failure chain where a keyword ends).
  const fail = new Int32Array(next.length);
  const dictionary = new Int32Array(next.length).fill(-1);
  const queue: number[] = [];
  for (const child of next[0]!.values()) queue.push(child);
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const [c, child] of next[node]!) {
      let f = fail[node]!;
      while (f !== 0 && !next[f]!.has(c)) f = fail[f]!;
      const target = next[f]!.get(c);
      fail[child] = target !== undefined && target !== child ? target : 0;
      dictionary[child] =
        output[fail[child]!] !== -1 && fail[child] !== 0 ? fail[child]! : dictionary[fail[child]!]!;
      queue.push(child);
    }
  }
  // The root's edges as an array: most code units of a query leave from the root.
  const fromRoot = new Int32Array(65536);
  for (const [c, child] of next[0]!) fromRoot[c] = child;
  const emptyKeyword = output[0]!; // "" is in every text, as `includes` says
  const seen = new Int32Array(keywords.length);
  let stamp = 0;
  return {
    find(text) {
      stamp++;
      const found: number[] = [];
      if (emptyKeyword !== -1) {
        seen[emptyKeyword] = stamp;
        found.push(emptyKeyword);
      }
      let node = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (node === 0) node = fromRoot[c]!;
        else {
          let to = next[node]!.get(c);
          while (to === undefined && node !== 0) {
            node = fail[node]!;
            to = node === 0 ? fromRoot[c] : next[node]!.get(c);
          }
          node = to ?? 0;
        }
        // The keywords that end here; a keyword seen already was reported with all those on its chain.
        for (let at = output[node] !== -1 ? node : dictionary[node]!; at > 0; at = dictionary[at]!) {
          const k = output[at]!;
          if (seen[k] === stamp) break;
          seen[k] = stamp;
          found.push(k);
        }
      }
      return found;
    },
  };
}
