#!/usr/bin/env node
// The `cvm-admission` binary. Long-running commands (serve) keep the process alive themselves.
import { main } from "./run.js";

process.exitCode = await main(process.argv.slice(2));
