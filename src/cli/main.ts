#!/usr/bin/env node
// The `cvm-admission` binary. Long-running commands (serve) keep the process alive themselves.
import { main } from "./run.js";

// A reader that stops early (`| head`) is not an error, as for any Unix tool.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2));
