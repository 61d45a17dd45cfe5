/**
 * LocoLLM's keyword router, as its runtime applies it: an adapter's router_keywords, lower-cased, each
 * count as a hit when it appears in the lower-cased query; the adapter with the most hits answers, a
 * tie goes to the name first in alphabetical order, and a query with no hit goes to the base model.
 */
import { keywordAutomaton } from "./keyword-automaton.ts";

/** What the router sends a query to when no adapter's keyword is in it (never an adapter name). */
export const BASE_MODEL = "(base)";

export interface RoutedAdapter {
  name: string;
  domain: string;
  keywords: readonly string[];
}

export type Route = (query: string) => string;

export function keywordRouter(adapters: readonly RoutedAdapter[]): Route {
  const names = adapters.map((a) => a.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Each distinct keyword is looked for once per query, whichever adapters list it (and as often as they do).
  const listedBy = new Map<string, number[]>();
  for (const a of adapters) {
    const index = names.indexOf(a.name);
    for (const keyword of a.keywords) {
      const k = keyword.toLowerCase();
      listedBy.set(k, [...(listedBy.get(k) ?? []), index]);
    }
  }
  const keywords = [...listedBy];
  const automaton = keywordAutomaton(keywords.map(([k]) => k));
  const hits = new Array<number>(names.length);
  return (query) => {
    hits.fill(0);
    for (const found of automaton.find(query.toLowerCase())) for (const i of keywords[found]![1]) hits[i]!++;
    let best = BASE_MODEL;
    let most = 0;
    hits.forEach((h, i) => {
      if (h > most) [best, most] = [names[i]!, h]; // strictly more: the first name keeps a tie
    });
    return best;
  };
}

/** The keywords of an adapter found in a query, as the router counts them. */
export function keywordsIn(query: string, keywords: readonly string[]): string[] {
  const text = query.toLowerCase();
  return keywords.filter((k) => text.includes(k.toLowerCase()));
}
