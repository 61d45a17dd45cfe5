import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Route } from "./app-process.ts";

/**
 * GitHub's REST API as the app uses it, with state: commits as file trees, pull requests, check runs,
 * comments, dispatches, workflow runs with artifacts, and a default branch that only moves forward.
 * What the app leaves behind is read from here, as one would read it on GitHub.
 */
export class FakeGitHub {
  readonly repo = "Codertocat/Hello-World";
  readonly branch = "master";
  private readonly trees = new Map<string, Map<string, Buffer>>();
  private readonly blobs = new Map<string, Buffer>();
  private readonly parents = new Map<string, string>();
  head = "";
  readonly pulls = new Map<
    number,
    {
      head: string;
      base: string;
      association: string;
      files: string[];
      /** GitHub hangs on its files */ slow?: boolean;
      /** Merged into the default branch (closed); open when absent. */ merged?: boolean;
    }
  >();
  readonly checks: {
    id: number;
    name: string;
    head_sha: string;
    status: string;
    conclusion: string | null;
    external_id: string;
    started_at: string;
    output: { title?: string; summary?: string; text?: string };
  }[] = [];
  readonly comments: { id: number; issue: number; body: string }[] = [];
  readonly dispatches: Record<string, string>[] = [];
  readonly runs: {
    id: number;
    display_title: string;
    status: string;
    conclusion: string | null;
    created_at?: string;
    event?: string;
    head_branch?: string;
    path?: string;
    html_url?: string;
  }[] = [];
  readonly artifacts = new Map<number, Buffer>();
  labels = new Map<number, string[]>();
  /** Set to refuse the next dispatches with this status. */
  refuseDispatch?: number;
  commits = 0;
  /** What GitHub does wrong, first match wins (see Fault); a fault with `times` 0 is spent. */
  readonly faults: Fault[] = [];
  /** Called when a "kill" fault matches (the test kills the app there). */
  onKill?: () => void;
  private nextId = 100;

  /** A commit holding `files`; the first one becomes the default branch's head. */
  commit(files: Map<string, Buffer>, parent?: string): string {
    const sha = createHash("sha1").update(String(this.nextId++)).digest("hex");
    this.trees.set(sha, files);
    for (const data of files.values()) this.blobs.set(blobSha(data), data);
    if (parent) this.parents.set(sha, parent);
    if (!this.head) this.head = sha;
    return sha;
  }

  fileAt(sha: string, path: string): Buffer | undefined {
    return this.trees.get(sha)?.get(path);
  }

  /** The same check runs as if they had started `minutes` earlier (time passing, for the reconciler). */
  age(minutes: number): void {
    for (const run of this.checks)
      run.started_at = new Date(Date.parse(run.started_at) - minutes * 60_000).toISOString();
  }

  readonly route: Route = (req: IncomingMessage, body: string) => {
    const at = this.callOf(req);
    const fault = this.faults.find(
      (f) =>
        f.at.test(at) &&
        (f.body === undefined || f.body.test(body)) &&
        (f.untilMs === undefined ? (f.times ?? 1) > 0 : Date.now() < f.untilMs),
    );
    if (fault?.after) {
      fault.after--;
      return this.answer(req, body);
    }
    if (fault && fault.untilMs === undefined) fault.times = (fault.times ?? 1) - 1;
    if (fault?.kind === "kill") {
      this.onKill?.();
      return { status: 0, hang: true };
    }
    if (fault?.kind === "hang") return { status: 0, hang: true };
    if (typeof fault?.kind === "number")
      return {
        status: fault.kind,
        json: { message: "Server Error" },
        ...(fault.retryAfter === undefined ? {} : { headers: { "retry-after": String(fault.retryAfter) } }),
      };
    const answer = this.answer(req, body);
    return fault?.kind === "lost" ? { status: 0, ...answer, lost: true } : answer;
  };

  /** `METHOD /path` of a request, the repository's prefix left out (what faults match). */
  callOf(req: IncomingMessage): string {
    const url = new URL(req.url!, "http://x");
    return `${req.method} ${decodeURIComponent(url.pathname).replace(`/repos/${this.repo}`, "")}`;
  }

  private answer(req: IncomingMessage, body: string): ReturnType<Route> {
    const url = new URL(req.url!, "http://x");
    const at = this.callOf(req);
    const q = url.searchParams;
    const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const ok = (value: unknown, status = 200) => ({ status, json: value });
    let m: RegExpExecArray | null;
    if (at === "POST /app/installations/1/access_tokens") return ok({ token: "t" }, 201);
    if ((m = /^GET \/commits\/(\w+)\/check-runs$/.exec(at))) {
      const runs = this.checks
        .filter((c) => c.head_sha === m![1] && c.name === q.get("check_name"))
        .toReversed();
      return ok({ total_count: runs.length, check_runs: runs.map((c) => ({ ...c, app: { id: 1 } })) });
    }
    if (at === "POST /check-runs") {
      const run = {
        id: this.nextId++,
        name: String(json.name),
        head_sha: String(json.head_sha),
        status: String(json.status ?? "queued"),
        conclusion: null,
        external_id: String(json.external_id ?? ""),
        started_at: String(json.started_at ?? new Date().toISOString()),
        output: {},
      };
      this.checks.push(run);
      return ok(run, 201);
    }
    if ((m = /^PATCH \/check-runs\/(\d+)$/.exec(at))) {
      const run = this.checks.find((c) => c.id === Number(m![1]));
      if (!run) return ok({ message: "Not Found" }, 404);
      if (json.status) run.status = String(json.status);
      if (json.conclusion) {
        run.conclusion = String(json.conclusion);
        run.status = "completed";
      }
      if (json.status === "queued") run.conclusion = null;
      if (json.output) run.output = { ...(json.output as object) };
      return ok(run);
    }
    if (at === "GET /app/installations") return ok([{ id: 1 }]);
    if (at === "GET /app") return ok({ id: 1, slug: "loragate" });
    if (at === "GET /installation/repositories")
      return ok({
        total_count: 1,
        repositories: [{ owner: { login: "Codertocat" }, name: "Hello-World", default_branch: this.branch }],
      });
    if (at === "GET /pulls")
      return ok(
        [...this.pulls]
          .filter(([, pr]) => (q.get("state") === "closed") === Boolean(pr.merged))
          .map(([number, pr]) => ({
            number,
            draft: false,
            head: { sha: pr.head },
            base: { sha: pr.base, ref: this.branch },
            author_association: pr.association,
            merged_at: pr.merged ? new Date().toISOString() : null,
          })),
      );
    if ((m = /^GET \/pulls\/(\d+)$/.exec(at))) {
      const pr = this.pulls.get(Number(m[1]));
      return pr
        ? ok({
            number: Number(m[1]),
            head: { sha: pr.head },
            base: { sha: pr.base },
            author_association: pr.association,
          })
        : ok({ message: "Not Found" }, 404);
    }
    if ((m = /^GET \/pulls\/(\d+)\/files$/.exec(at))) {
      const pr = this.pulls.get(Number(m[1]));
      const files = (pr?.files ?? []).map((filename) => ({ filename, status: "added" }));
      return { status: 200, json: files, delayMs: pr?.slow ? 60_000 : 0 };
    }
    if ((m = /^GET \/git\/trees\/(\w+)$/.exec(at))) {
      const files = this.trees.get(m[1]!) ?? this.trees.get(this.parents.get(m[1]!) ?? "");
      if (!files) return ok({ message: "Not Found" }, 404);
      const tree = [...files].map(([path, data]) => ({
        path,
        mode: "100644",
        type: "blob",
        sha: blobSha(data),
        size: data.length,
      }));
      return ok({ sha: m[1], truncated: false, tree });
    }
    if ((m = /^GET \/git\/blobs\/(\w+)$/.exec(at))) {
      const data = this.blobs.get(m[1]!);
      if (data && /\.raw/.test(String(req.headers.accept)))
        return { status: 200, bytes: data, contentType: "application/vnd.github.raw" };
      return data
        ? ok({ sha: m[1], encoding: "base64", content: data.toString("base64"), size: data.length })
        : undefined;
    }
    if ((m = /^GET \/contents\/(.+)$/.exec(at))) {
      const data = this.fileAt(q.get("ref") === this.branch ? this.head : q.get("ref")!, m[1]!);
      return data
        ? ok({ type: "file", encoding: "base64", content: data.toString("base64") })
        : ok({ message: "Not Found" }, 404);
    }
    if ((m = /^GET \/issues\/(\d+)$/.exec(at)))
      return ok({
        number: Number(m[1]),
        labels: (this.labels.get(Number(m[1])) ?? []).map((name) => ({ name })),
      });
    if ((m = /^GET \/issues\/(\d+)\/comments$/.exec(at)))
      return ok(
        this.comments
          .filter((c) => c.issue === Number(m![1]))
          .map((c) => ({ ...c, user: { type: "Bot" }, performed_via_github_app: { id: 1 } })),
      );
    if ((m = /^POST \/issues\/(\d+)\/comments$/.exec(at))) {
      const comment = { id: this.nextId++, issue: Number(m[1]), body: String(json.body) };
      this.comments.push(comment);
      return ok(comment, 201);
    }
    if ((m = /^PATCH \/issues\/comments\/(\d+)$/.exec(at))) {
      const comment = this.comments.find((c) => c.id === Number(m![1]));
      if (comment) comment.body = String(json.body);
      return comment ? ok(comment) : undefined;
    }
    if ((m = /^GET \/collaborators\/([^/]+)\/permission$/.exec(at)))
      return ok({ permission: "admin", role_name: "admin" });
    if (at === "POST /actions/workflows/loragate.yml/dispatches") {
      if (this.refuseDispatch) return ok({ message: "Not Found" }, this.refuseDispatch);
      const inputs = json.inputs as Record<string, string>;
      this.dispatches.push(inputs);
      this.runs.push({
        id: this.nextId++,
        display_title: `loragate ${inputs.correlation_id}`,
        status: "queued",
        conclusion: null,
        created_at: new Date().toISOString(),
        event: "workflow_dispatch",
        head_branch: this.branch,
        path: ".github/workflows/loragate.yml",
        html_url: "https://github.com/Codertocat/Hello-World/actions/runs/1",
      });
      return { status: 204 };
    }
    if (at === "GET /actions/workflows/loragate.yml/runs") {
      const runs = this.runs.filter((r) => !q.get("status") || r.status === q.get("status")).toReversed(); // newest first, as GitHub lists them
      return ok({ total_count: runs.length, workflow_runs: runs });
    }
    if ((m = /^POST \/actions\/runs\/(\d+)\/cancel$/.exec(at))) return ok({}, 202);
    if ((m = /^GET \/actions\/runs\/(\d+)\/artifacts$/.exec(at))) {
      const zip = this.artifacts.get(Number(m[1]));
      const artifacts = zip
        ? [{ id: Number(m[1]), name: "loragate-results", size_in_bytes: zip.length, expired: false }]
        : [];
      return ok({ total_count: artifacts.length, artifacts });
    }
    if ((m = /^GET \/actions\/artifacts\/(\d+)\/zip$/.exec(at)))
      return { status: 200, bytes: this.artifacts.get(Number(m[1]))! };
    // the default branch, fast-forward only
    if (at === `GET /git/ref/heads/${this.branch}`) return ok({ object: { sha: this.head } });
    if ((m = /^GET \/git\/commits\/(\w+)$/.exec(at))) return ok({ sha: m[1], tree: { sha: m[1] } });
    if (at === "POST /git/trees") {
      const files = new Map(this.trees.get(String(json.base_tree)));
      for (const f of json.tree as { path: string; content: string }[])
        files.set(f.path, Buffer.from(f.content));
      return ok({ sha: this.commit(files) }, 201);
    }
    if (at === "POST /git/commits") {
      const sha = this.commit(this.trees.get(String(json.tree))!, (json.parents as string[])[0]);
      return ok({ sha }, 201);
    }
    if (at === `PATCH /git/refs/heads/${this.branch}`) {
      if (this.parents.get(String(json.sha)) !== this.head)
        return ok({ message: "Update is not a fast forward" }, 422);
      this.head = String(json.sha);
      this.commits++;
      return ok({ object: { sha: this.head } });
    }
    return undefined;
  }
}

/**
 * A fault GitHub throws at calls matching `at` (e.g. /^PATCH \/check-runs\//), `times` times (once by
 * default), or until `untilMs` (Date.now()): "lost" carries the call out and drops the answer (the
 * connection closes), "hang" never answers, "kill" never answers and calls onKill, a number answers
 * that status without carrying the call out.
 */
export interface Fault {
  at: RegExp;
  kind: "lost" | "hang" | "kill" | number;
  times?: number;
  untilMs?: number;
  /** Only requests whose body matches (e.g. the check update that completes the bar). */
  body?: RegExp;
  /** Matching calls let through before it strikes (a kill at the Nth call). */
  after?: number;
  /** A retry-after header (seconds) on a status answer. */
  retryAfter?: number;
}

const blobSha = (data: Buffer) =>
  createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
