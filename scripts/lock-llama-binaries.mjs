// node-llama-cpp ships llama.cpp prebuilt per platform as optional packages. The npm mirror this
// project is built against lacks the macOS and Windows ones, so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock as out of sync. This adds the missing entries
// with their os/cpu, which is all `npm ci` needs to skip them on Linux (and fetch them elsewhere).
// Run after any `npm install` that rewrites the lock: node scripts/lock-llama-binaries.mjs
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const llama = lock.packages["node_modules/node-llama-cpp"];
const OS = { linux: "linux", mac: "darwin", win: "win32" };
const CPU = { x64: "x64", arm64: "arm64", armv7l: "arm", riscv64: "riscv64" };

let added = 0;
for (const [name, version] of Object.entries(llama.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu] = name.replace("@node-llama-cpp/", "").split("-");
  if (!OS[os] || !CPU[cpu]) throw new Error(`cannot tell the platform of ${name}`);
  lock.packages[key] = { version, license: "MIT", optional: true, os: [OS[os]], cpu: [CPU[cpu]] };
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} node-llama-cpp platform entries added`);
