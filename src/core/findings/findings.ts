/**
 * A finding is one problem at one place, written like a compiler diagnostic:
 * what was found, what was expected, and how to fix it.
 */
export type Severity = "error" | "warning";

export interface Finding {
  /** Path relative to the registry root, always with forward slashes. */
  file: string;
  /** 1-based line; 0 when the finding is about the file as a whole. */
  line: number;
  /** 1-based column in characters, when known. */
  column?: number;
  /** Dotted field path inside the record or document, e.g. `lora.r`; "" when none. */
  field: string;
  /** Stable rule id, e.g. `empty-output`; documented in README. */
  rule: string;
  severity: Severity;
  message: string;
  hint: string;
}

/** A finding as a rule writes it: an error unless it says otherwise. */
export type FindingDraft = Omit<Finding, "severity"> & { severity?: Severity };

/** The one place a draft's severity defaults. */
export const toFinding = (draft: FindingDraft): Finding => ({
  ...draft,
  severity: draft.severity ?? "error",
});

export function countBySeverity(findings: readonly Finding[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const f of findings) if (f.severity === "error") errors++;
  return { errors, warnings: findings.length - errors };
}

/** One line for a refusal message: `  file:line message [rule]`. */
export const findingLine = (f: Finding): string => `  ${f.file}:${f.line} ${f.message} [${f.rule}]`;

/** Sorted by file, then line, then column: the order a reader scans a file in. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      (a.column ?? 0) - (b.column ?? 0) ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0),
  );
}

/**
 * Collects findings with a cap per (file, rule), so a million bad lines cost constant memory
 * and the reader still learns how many were left out.
 */
export class FindingSink {
  readonly findings: Finding[] = [];
  private readonly seen = new Map<string, number>();
  private readonly listed = new Map<string, number>();

  constructor(private readonly maxPerFileRule = 20) {}

  add(finding: Finding): void {
    const key = keyOf(finding);
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    const listed = this.listed.get(key) ?? 0;
    if (listed < this.maxPerFileRule) {
      this.listed.set(key, listed + 1);
      this.findings.push(finding);
    }
  }

  /**
   * Counts one more finding of each rule in `file` without building it, when every one of those
   * rules is already listed in full: a file of a million bad lines costs a count per line, not a
   * finding. Returns false (nothing counted) when any of them still has room: build and add them.
   * `times`: how many findings of each rule the line holds (a line's unknown keys).
   */
  countIfFull(file: string, rules: readonly string[], times = 1): boolean {
    const keys = rules.map((rule) => `${file}\0${rule}`);
    if (keys.some((key) => (this.listed.get(key) ?? 0) < this.maxPerFileRule)) return false;
    for (const key of keys) this.seen.set(key, this.seen.get(key)! + times);
    return true;
  }

  /** Counts `n` findings of a rule that were never built (past what a line names): finish() says so. */
  countUnlisted(file: string, rule: string, n: number): void {
    const key = `${file}\0${rule}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + n);
  }

  /** What a sink filled elsewhere (a worker) holds, to be absorbed by another. */
  snapshot(): SinkSnapshot {
    return { findings: this.findings, seen: [...this.seen] };
  }

  /** Takes over another sink's findings, shifting their lines (a worker saw a later part of the file). */
  absorb(snapshot: SinkSnapshot, lineOffset: number): void {
    const listedThere = new Map<string, number>();
    for (const f of snapshot.findings) {
      const key = keyOf(f);
      listedThere.set(key, (listedThere.get(key) ?? 0) + 1);
      this.add(f.line > 0 ? { ...f, line: f.line + lineOffset } : f);
    }
    for (const [key, seen] of snapshot.seen)
      this.seen.set(key, (this.seen.get(key) ?? 0) + seen - (listedThere.get(key) ?? 0));
  }

  /** Appends one note per (file, rule) whose findings were capped. */
  finish(): Finding[] {
    for (const [key, seen] of this.seen) {
      const listed = this.listed.get(key) ?? 0;
      if (seen <= listed) continue;
      const first = this.findings.find((f) => keyOf(f) === key)!;
      this.findings.push({
        ...first,
        line: 0,
        column: undefined,
        field: "",
        message: `${seen - listed} more "${first.rule}" findings in this file were not listed (${seen} in all)`,
        hint: "fix the listed ones first; the same fix usually applies to the rest",
      });
    }
    return sortFindings(this.findings);
  }
}

export interface SinkSnapshot {
  findings: Finding[];
  seen: [string, number][];
}

const keyOf = (f: Finding) => `${f.file}\0${f.rule}`;

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "error");
}
