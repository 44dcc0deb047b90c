// Bundles src/player.ts and copies the Video.js stylesheet into the Python package.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, "../libs/sender_common/src/sender_common/player/static/dist");

await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [resolve(here, "src/player.ts")],
  outfile: resolve(outDir, "player.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  sourcemap: "linked",
  legalComments: "eof",
  logLevel: "warning",
});
await copyFile(
  resolve(here, "node_modules/video.js/dist/video-js.min.css"),
  resolve(outDir, "player.css"),
);
console.log(`player built into ${outDir}`);
