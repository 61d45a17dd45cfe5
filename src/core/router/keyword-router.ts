/**
 * LocoLLM's keyword router, as its runtime applies it: an adapter's router_keywords, lower-cased, each
 * count as a hit when it appears in the lower-cased query; the adapter with the most hits answers, a
 * tie goes to the name first in alphabetical order, and a query with no hit goes to the base model.
 */

/** What the router sends a query to when no adapter's keyword is in it (never an adapter name). */
export const BASE_MODEL = "(base)";

export interface RoutedAdapter {
  name: string;
  domain: string;
  keywords: readonly string[];
}

export type Route = (query: string) => string;

export function keywordRouter(adapters: readonly RoutedAdapter[]): Route {
  const ordered = [...adapters]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((a) => ({ name: a.name, keywords: a.keywords.map((k) => k.toLowerCase()) }));
  return (query) => {
    const text = query.toLowerCase();
    let best = BASE_MODEL;
    let most = 0;
    for (const { name, keywords } of ordered) {
      let hits = 0;
      for (const keyword of keywords) if (text.includes(keyword)) hits++;
      if (hits > most) [best, most] = [name, hits]; // strictly more: the first name keeps a tie
    }
    return best;
  };
}

/** The keywords of an adapter found in a query, as the router counts them. */
export function keywordsIn(query: string, keywords: readonly string[]): string[] {
  const text = query.toLowerCase();
  return keywords.filter((k) => text.includes(k.toLowerCase()));
}
