// Copy the front-end libraries the UI needs from web/node_modules into the Python package's
// static directory (src/worlddirector/web/static/vendor/), so the server hands them out itself
// and the page never fetches anything from a CDN at run time.
//
// Only the entry files below and every file they import by relative path are copied (a few
// hundred kB instead of the whole three.js examples tree). Bare imports ("three") are resolved
// by the import map in index.html. Run by scripts/setup.sh after `npm ci`.
import { existsSync, mkdirSync, readFileSync, copyFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, "node_modules");
const outRoot = resolve(here, "..", "src", "worlddirector", "web", "static", "vendor");

// package -> entry files (relative to the package root)
const ENTRIES = {
  three: [
    "build/three.module.js",
    "examples/jsm/loaders/GLTFLoader.js",
    "examples/jsm/loaders/PLYLoader.js",
    "examples/jsm/controls/OrbitControls.js",
    "LICENSE",
  ],
};

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s*['"]([^'"]+)['"]/g;

function copyWithDeps(pkgRoot, outPkg, rel, seen) {
  const src = join(pkgRoot, rel);
  if (seen.has(src)) return;
  seen.add(src);
  if (!existsSync(src)) {
    throw new Error(`vendor: ${src} is missing; run "npm ci" in web/ first`);
  }
  const dst = join(outPkg, rel);
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(src, dst);
  if (!src.endsWith(".js")) return;
  const text = readFileSync(src, "utf8");
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] || m[2] || m[3];
    if (!spec || !spec.startsWith(".")) continue; // bare specifiers go through the import map
    const depAbs = resolve(dirname(src), spec);
    copyWithDeps(pkgRoot, outPkg, relative(pkgRoot, depAbs), seen);
  }
}

rmSync(outRoot, { recursive: true, force: true });
const manifest = {};
for (const [pkg, entries] of Object.entries(ENTRIES)) {
  const pkgRoot = join(nodeModules, pkg);
  const version = JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8")).version;
  const seen = new Set();
  for (const e of entries) copyWithDeps(pkgRoot, join(outRoot, pkg), e, seen);
  manifest[pkg] = { version, files: [...seen].map((p) => relative(pkgRoot, p)).sort() };
}
writeFileSync(join(outRoot, "manifest.json"), JSON.stringify(manifest, null, 1));
const n = Object.values(manifest).reduce((a, m) => a + m.files.length, 0);
console.log(`vendor: ${n} files -> ${relative(process.cwd(), outRoot) || outRoot}`);
