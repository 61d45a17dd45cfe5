import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * A file or folder shipped with loragate (templates/, fixtures/registry), found from this module up: the
 * same code runs from src/cli (tsx), dist/cli-bundle (the installed bin) and an installed package.
 */
export function packagePath(...parts: string[]): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, ...parts))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`loragate's bundled ${parts.join("/")} not found`);
    dir = up;
  }
  return join(dir, ...parts);
}
