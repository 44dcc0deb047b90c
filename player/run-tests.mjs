// Bundles test/*.test.ts for node and runs them with node's own test runner (no extra packages).
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const files = (await readdir(resolve(here, "test"))).filter((f) => f.endsWith(".test.ts"));
const out = await mkdtemp(join(tmpdir(), "sender-player-tests-"));
try {
  await build({
    entryPoints: files.map((f) => resolve(here, "test", f)),
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "node",
    target: ["node20"],
    logLevel: "warning",
  });
  const tests = files.map((f) => join(out, f.replace(/\.ts$/, ".mjs")));
  const run = spawnSync(process.execPath, ["--test", ...tests], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  await rm(out, { recursive: true, force: true });
}
