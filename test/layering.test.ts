/**
 * The core's floors (docs/architecture.md, "The floors of the core"): every import inside src/core goes
 * from a room to a room on a lower floor, so no two folders import each other. Read from the sources'
 * import lines, the way a reader follows them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const CORE = resolve("src/core");

/** The room of a file of the core: its folder under src/core, or its own name for a file at the top. */
function roomOf(file: string): string {
  const parts = relative(CORE, file).split(sep);
  return parts.length === 1 ? parts[0]!.replace(/\.ts$/, "") : parts[0]!;
}

/** Floor of each room, from the numbered list of the architecture document (1 = the ground). */
function documentedFloors(markdown: string): Map<string, number> {
  const section = markdown.split("### The floors of the core")[1]?.split(/^#/m)[0] ?? "";
  const floors = new Map<string, number>();
  for (const [, floor, rooms] of section.matchAll(/^(\d+)\. ([^:\n]+)/gm)) {
    for (const [, room] of rooms!.matchAll(/`([^`]+)`/g)) floors.set(room!, Number(floor));
  }
  return floors;
}

interface Import {
  /** file:line of the import. */
  at: string;
  from: string;
  /** The imported file, core-relative. */
  target: string;
  to: string;
}

/** Every relative import (static, dynamic, re-export) of the core's TypeScript files that leaves its room. */
function coreImports(): { rooms: Set<string>; imports: Import[] } {
  const files = readdirSync(CORE, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(CORE, f));
  const rooms = new Set(files.map(roomOf));
  const imports: Import[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), match[1]!);
      const at = `src/core/${relative(CORE, file)}:${text.slice(0, match.index).split("\n").length}`;
      if (!target.startsWith(CORE + sep)) throw new Error(`${at} imports ${match[1]}, outside src/core`);
      if (roomOf(target) !== roomOf(file))
        imports.push({ at, from: roomOf(file), target: relative(CORE, target), to: roomOf(target) });
    }
  }
  return { rooms, imports };
}

/** The imports that do not go down a floor, as `file:line (room, floor n) imports target (room, floor m)`. */
function upwardImports(imports: Import[], floors: Map<string, number>): string[] {
  return imports.flatMap(({ at, from, target, to }) =>
    floors.get(to)! < floors.get(from)!
      ? []
      : [`${at} (${from}, floor ${floors.get(from)}) imports ${target} (${to}, floor ${floors.get(to)})`],
  );
}

describe("the core's floors", () => {
  const floors = documentedFloors(readFileSync("docs/architecture.md", "utf8"));
  const { rooms, imports } = coreImports();

  it("gives every room of src/core one floor, and lists no room that is gone", () => {
    expect([...rooms].filter((r) => !floors.has(r))).toEqual([]);
    expect([...floors.keys()].filter((r) => !rooms.has(r))).toEqual([]);
  });

  it("has every import of src/core go to a room on a lower floor", () => {
    expect(imports.length).toBeGreaterThan(100); // the scan found the imports at all
    expect(upwardImports(imports, floors)).toEqual([]);
  });

  it("names an import that runs back up, and one between rooms of the same floor", () => {
    const planted: Import[] = [
      {
        at: "src/core/schemas/adapter.ts:3",
        from: "schemas",
        target: "adapter/validate-adapter.ts",
        to: "adapter",
      },
      {
        at: "src/core/router/keyword-router.ts:2",
        from: "router",
        target: "review/commands.ts",
        to: "review",
      },
      { at: "src/core/check.ts:1", from: "check", target: "registry/source.ts", to: "registry" },
    ];
    expect(upwardImports(planted, floors)).toEqual([
      "src/core/schemas/adapter.ts:3 (schemas, floor 1) imports adapter/validate-adapter.ts (adapter, floor 5)",
      "src/core/router/keyword-router.ts:2 (router, floor 7) imports review/commands.ts (review, floor 7)",
    ]);
  });
});
