// `cvm-admission config print [--config F]`: the effective configuration (defaults, file, env).

import { stringify } from "yaml";
import { defineCommand } from "./args.js";
import { CONFIG_FLAG, configOfFlag } from "./flags.js";

export const configCommand = defineCommand(
  {
    name: "config print",
    description: "Print the effective configuration: defaults, then the file, then CVM_ADMISSION_* variables",
    usage: "[flags]",
    flags: { config: CONFIG_FLAG },
    examples: [
      "cvm-admission config print",
      "CVM_ADMISSION_ISTIO_POLICY=warn cvm-admission config print --config cvm.yaml",
    ],
    exitCodes: { 0: "printed", 2: "usage error or invalid configuration (the key is named)" },
  },
  async (values, io) => {
    io.stdout(stringify(configOfFlag(values.config)));
    return 0;
  },
);
