// `cvm-admission version` (and `--version`): which build this is, like `kubectl version --client`.

import { VERSION } from "../version.js";
import { defineCommand, UsageError, USAGE_EXIT } from "./args.js";

const OUTPUTS = ["text", "json"];

export function versionLine(): string {
  return `cvm-admission ${VERSION} (node ${process.version})\n`;
}

export const versionCommand = defineCommand(
  {
    name: "version",
    description: "Print the version of cvm-admission and of the Node.js runtime",
    usage: "[flags]",
    flags: { output: { type: "string", short: "o", value: "FORMAT", default: "text", help: "text or json" } },
    examples: ["cvm-admission version", "cvm-admission version -o json"],
    exitCodes: { 0: "printed", ...USAGE_EXIT },
  },
  async (values, io) => {
    if (!OUTPUTS.includes(values.output))
      throw new UsageError(`version: -o must be one of ${OUTPUTS.join(", ")}`);
    io.stdout(
      values.output === "json"
        ? JSON.stringify({ version: VERSION, node: process.version }, null, 2) + "\n"
        : versionLine(),
    );
    return 0;
  },
);
