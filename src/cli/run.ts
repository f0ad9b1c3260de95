// cvm-admission: one binary for the webhook server and its offline tools (README.md, "CLI").
// Commands load lazily so `check-node` does not pay for the server's imports.

import { CertificateError } from "../certs/generate.js";
import { ConfigError } from "../config/load.js";
import { ClusterViewFileError } from "../cluster/file-view.js";
import { UsageError } from "./args.js";
import { processIO, type Command } from "./io.js";

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: "serve [--config F] [--port N] [--cluster-view F] [--certs-dir D]   run the webhook server",
    load: async () => (await import("./serve.js")).serveCommand,
  },
  mutate: {
    summary: "mutate -f FILE [-o patched|patch|review] [--config F] [--cluster-view F]   mutate offline",
    load: async () => (await import("./mutate.js")).mutateCommand,
  },
  certs: {
    summary:
      "certs generate [--out DIR] [--service NAME] [--namespace NS] [--dns N] [--ip A]   write ca.crt, tls.crt, tls.key",
    load: async () => (await import("./certs.js")).certsCommand,
  },
  config: {
    summary: "config print [--config F]   show the effective configuration",
    load: async () => (await import("./config.js")).configCommand,
  },
  "check-node": {
    summary:
      "check-node [--kernel STRING] [--os NAME] [--os-image NAME] [--config F]   kernel verdict (this machine by default)",
    load: async () => (await import("./check-node.js")).checkNodeCommand,
  },
  nodes: {
    summary: "nodes [--cluster-view F] [-o table|json] [--config F]   every node with its verdict",
    load: async () => (await import("./nodes.js")).nodesCommand,
  },
  doctor: {
    summary: "doctor [--cluster-view F] [--config F]   preflight of a cluster for CVMs",
    load: async () => (await import("./doctor.js")).doctorCommand,
  },
};

const USER_ERRORS = [UsageError, ConfigError, ClusterViewFileError, CertificateError, SyntaxError];

function usage(): string {
  return (
    "usage: cvm-admission <command> [options]\n\n" +
    Object.values(COMMANDS)
      .map((c) => `  ${c.summary}\n`)
      .join("")
  );
}

export async function main(argv: string[], io = processIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`cvm-admission: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await (
      await command.load()
    )(args, io);
  } catch (err) {
    // Mistakes in what the user gave us exit 2 with the reason; anything else is our bug.
    const code = (err as NodeJS.ErrnoException).code;
    const userError =
      USER_ERRORS.some((type) => err instanceof type) || code === "ENOENT" || code === "EACCES";
    if (!userError) throw err;
    io.stderr(`cvm-admission: ${(err as Error).message}\n`);
    return 2;
  }
}
