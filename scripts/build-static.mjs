// Copies the browser builds of our npm dependencies into duban/static/vendor, where Django's
// staticfiles finds them. Why a copy and no bundler: three prebuilt files need no build graph.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const out = join(root, "duban", "static", "vendor");
const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap.min.css",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
  "echarts/dist/echarts.min.js": "echarts.min.js",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
};
mkdirSync(out, { recursive: true });
for (const [src, dest] of Object.entries(files)) {
  copyFileSync(join(root, "node_modules", src), join(out, dest));
}
console.log(`copied ${Object.keys(files).length} files into duban/static/vendor`);
