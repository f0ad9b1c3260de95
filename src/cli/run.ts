// cvm-admission: one binary for the webhook server and its offline tools (README.md, "CLI").
// Commands load lazily so `check-node` does not pay for the server's imports.

import { CertificateError } from "../certs/generate.js";
import { InputError } from "../cluster/documents.js";
import { ClusterViewFileError } from "../cluster/file-view.js";
import { ConfigError } from "../config/load.js";
import { UsageError, type Command } from "./args.js";
import { processIO, type CliIO } from "./io.js";

// The command list lives here, not in the command modules, so `--help` loads none of them.
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: "Run the webhook server",
    load: async () => (await import("./serve.js")).serveCommand,
  },
  mutate: {
    summary: "Mutate pods offline as the webhook would",
    load: async () => (await import("./mutate.js")).mutateCommand,
  },
  certs: {
    summary: "certs generate: write a CA and a serving certificate for the webhook",
    load: async () => (await import("./certs.js")).certsCommand,
  },
  config: {
    summary: "config print: print the effective configuration",
    load: async () => (await import("./config.js")).configCommand,
  },
  "check-node": {
    summary: "Judge a kernel (this machine by default): can it run CVMs?",
    load: async () => (await import("./check-node.js")).checkNodeCommand,
  },
  nodes: {
    summary: "List every node with its kernel verdict and eligibility label",
    load: async () => (await import("./nodes.js")).nodesCommand,
  },
  doctor: {
    summary: "Preflight a cluster for CVMs",
    load: async () => (await import("./doctor.js")).doctorCommand,
  },
  version: {
    summary: "Print the version",
    load: async () => (await import("./version.js")).versionCommand,
  },
};

const USER_ERRORS = [
  UsageError,
  ConfigError,
  InputError,
  ClusterViewFileError,
  CertificateError,
  SyntaxError,
];

/** Errors of the operating system about what the user named (a file, a port): never our bug. */
const USER_ERRNO = new Set(["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EADDRINUSE", "EADDRNOTAVAIL"]);

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  return (
    "cvm-admission: the CVM admission webhook and its offline tools\n\n" +
    "Usage:\n  cvm-admission COMMAND [flags]\n\nCommands:\n" +
    Object.entries(COMMANDS)
      .map(([name, c]) => `  ${name.padEnd(width)}${c.summary}\n`)
      .join("") +
    "\nFlags:\n  -h, --help     show this help\n      --version  print the version\n\n" +
    "Run 'cvm-admission help COMMAND' (or COMMAND --help) for a command's flags, examples and exit codes.\n"
  );
}

async function run(name: string, args: string[], io: CliIO): Promise<number> {
  if (name === "--version") return (await COMMANDS["version"]!.load())([], io);
  if (name === "help" || name === "--help" || name === "-h") {
    if (args[0] === undefined) {
      io.stdout(usage());
      return 0;
    }
    return run(args[0], ["--help"], io);
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`cvm-admission: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(args, io);
}

export async function main(argv: string[], io = processIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stdout(usage());
    return 2;
  }
  try {
    return await run(name, args, io);
  } catch (err) {
    // Mistakes in what the user gave us exit 2 with one line; anything else is our bug.
    const code = (err as NodeJS.ErrnoException).code;
    if (!USER_ERRORS.some((type) => err instanceof type) && !USER_ERRNO.has(code ?? "")) throw err;
    io.stderr(`cvm-admission: ${(err as Error).message.split("\n")[0]}\n`);
    return 2;
  }
}
