// Bundles src/player.ts (with the Video.js live-skin stylesheet) and the operator console
// (src/console/main.ts and its stylesheet) into the Python package.
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
// The skin styles its shadow DOM itself; this sheet carries its light-DOM rules.
await copyFile(
  resolve(here, "node_modules/@videojs/html/dist/default/define/live-video/skin.css"),
  resolve(outDir, "player.css"),
);
await build({
  entryPoints: [resolve(here, "src/console/main.ts")],
  outfile: resolve(outDir, "console.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  sourcemap: "linked",
  legalComments: "eof",
  logLevel: "warning",
});
await copyFile(resolve(here, "src/console/console.css"), resolve(outDir, "console.css"));
console.log(`player built into ${outDir}`);
