#!/usr/bin/env node
// The command pnpm links into node_modules/.bin. It is checked in (dist/ is built), so the link
// exists from `pnpm install` on, and `pnpm kpi-backfill ...` runs it directly: no pnpm script,
// so no "> kpi-pipeline@ ..." banner mixed into the results on stdout.
const cli = new URL("../dist/cli.js", import.meta.url);
try {
  await import(cli.href);
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes(cli.pathname)) {
    process.stderr.write("kpi-backfill: error: not built yet; run `pnpm build` first\n");
    process.exit(2);
  }
  throw error;
}
