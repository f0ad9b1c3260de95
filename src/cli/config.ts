// `cvm-admission config print [--config F]`: the effective configuration (defaults, file, env).

import { stringify } from "yaml";
import { loadConfig } from "../config/load.js";
import { parseCommandArgs, UsageError } from "./args.js";
import type { Command } from "./io.js";

export const configCommand: Command = async (args, io) => {
  const [action, ...rest] = args;
  if (action !== "print")
    throw new UsageError(`config: unknown action ${JSON.stringify(action ?? "")} (use: config print)`);
  const { values } = parseCommandArgs("config print", rest, { config: { type: "string" } });
  io.stdout(stringify(loadConfig({ file: values.config })));
  return 0;
};
