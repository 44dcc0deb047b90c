// Bundles src/player.ts (with the Video.js live-skin stylesheet) and the operator console
// (src/console/main.ts and its stylesheet) into the Python package.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, "../libs/sender_common/src/sender_common/player/static/dist");

/** One browser bundle: `entry` (under this folder) into `name` in the package's dist. */
function bundle(entry, name) {
  return build({
    entryPoints: [resolve(here, entry)],
    outfile: resolve(outDir, name),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2020"],
    minify: true,
    sourcemap: "linked",
    legalComments: "eof",
    logLevel: "warning",
  });
}

await mkdir(outDir, { recursive: true });
await bundle("src/player.ts", "player.js");
// The skin styles its shadow DOM itself; this sheet carries its light-DOM rules.
await copyFile(
  resolve(here, "node_modules/@videojs/html/dist/default/define/live-video/skin.css"),
  resolve(outDir, "player.css"),
);
await bundle("src/console/main.ts", "console.js");
await copyFile(resolve(here, "src/console/console.css"), resolve(outDir, "console.css"));
console.log(`player built into ${outDir}`);
