// The `loragate check` command run several times in one process, on the bundle the installed CLI runs:
// the first run is cold (as in a fresh process, less Node's start and the bundle's load); the others
// are warm (compiled, optimized code). Their median is the work itself, the part no start-up trick removes.
// `coldCpuSeconds` is the CPU time of the first run in all of the process's threads (V8 compiles and
// collects garbage on threads of its own): no split of that work over the cores can end sooner than it
// divided by their number.
// Usage: node benchmarks/check-warm-child.mjs REGISTRY-DIR [repeats]
import { runCli } from "../dist/cli-bundle/main.js";

const [registry, repeats] = process.argv.slice(2);
const io = { stdout: () => {}, stderr: (s) => process.stderr.write(s), isTTY: false };
const seconds = [];
let coldCpuSeconds = 0;
for (let i = 0; i < Number(repeats ?? 6); i++) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await runCli(["check", registry, "--format", "json"], io);
  seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  if (i === 0) {
    const used = process.cpuUsage(cpu);
    coldCpuSeconds = (used.user + used.system) / 1e6;
  }
}
const warm = seconds.slice(1).sort((a, b) => a - b);
console.log(
  JSON.stringify({
    coldSeconds: seconds[0],
    coldCpuSeconds,
    warmSeconds: warm[Math.floor((warm.length - 1) / 2)],
  }),
);
