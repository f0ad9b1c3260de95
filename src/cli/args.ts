// Argument parsing and help shared by the commands (node:util parseArgs). Each command declares its
// flags once, with their help; -h/--help and `help CMD` print that declaration, the way kubectl
// and helm do: usage, every flag, examples, exit codes. Usage errors exit 2.

import { parseArgs } from "node:util";
import type { CliIO } from "./io.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface Flag {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[];
  /** What the value stands for in the help: FILE, DIR, N. */
  value?: string;
  help: string;
}

export type Flags = Record<string, Flag>;

export interface CommandHelp<F extends Flags = Flags> {
  /** The command as typed: "mutate", "certs generate". */
  name: string;
  /** What it does, first in its help (run.ts keeps the one-line summaries of the command list). */
  description: string;
  /** The arguments after the name: "-f FILE [flags]". */
  usage: string;
  flags: F;
  examples: readonly string[];
  exitCodes: Record<number, string>;
}

/** A command: parses its own arguments and returns the process exit status. */
export type Command = ((args: string[], io: CliIO) => Promise<number>) & { help: CommandHelp };

export const HELP_FLAG: Flag = { type: "boolean", short: "h", help: "show this help" };

/** The exit codes every command shares, for the commands with nothing more to say. */
export const USAGE_EXIT = { 2: "usage error, unreadable or malformed input" } as const;

type Values<F extends Flags> = {
  [K in keyof F]: F[K]["multiple"] extends true
    ? string[]
    : F[K]["type"] extends "boolean"
      ? boolean | undefined
      : F[K]["default"] extends string
        ? string
        : string | undefined;
};

function flagLabel(name: string, flag: Flag): string {
  const long = `--${name}${flag.type === "string" ? ` ${flag.value ?? "STRING"}` : ""}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

function flagHelp(flag: Flag): string {
  const byDefault =
    flag.default === undefined || (Array.isArray(flag.default) && flag.default.length === 0)
      ? ""
      : ` (default ${JSON.stringify(flag.default)})`;
  return `${flag.help}${flag.multiple ? "; may be repeated" : ""}${byDefault}`;
}

export function renderHelp(help: CommandHelp): string {
  const flags = Object.entries({ ...help.flags, help: HELP_FLAG });
  const labels = flags.map(([name, flag]) => flagLabel(name, flag));
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  return [
    `${help.description.trimEnd()}\n`,
    `\nUsage:\n  cvm-admission ${help.name} ${help.usage}\n`,
    `\nFlags:\n`,
    ...flags.map(([, flag], i) => `  ${labels[i]!.padEnd(width)}${flagHelp(flag)}\n`),
    `\nExamples:\n`,
    ...help.examples.map((e) => `  ${e}\n`),
    `\nExit codes:\n`,
    ...Object.entries(help.exitCodes).map(([code, meaning]) => `  ${code}  ${meaning}\n`),
  ].join("");
}

/**
 * A command from its help and its body. `-h`/`--help` anywhere prints the help and exits 0; a
 * command named with an action (`certs generate`) requires that action as its first argument.
 */
export function defineCommand<const F extends Flags>(
  help: CommandHelp<F>,
  run: (values: Values<F>, io: CliIO) => Promise<number>,
): Command {
  const [command, action] = help.name.split(" ");
  const command_ = async (args: string[], io: CliIO) => {
    if (args.includes("-h") || args.includes("--help")) {
      io.stdout(renderHelp(help));
      return 0;
    }
    let rest = args;
    if (action !== undefined) {
      if (args[0] !== action)
        throw new UsageError(
          `${command}: unknown action ${JSON.stringify(args[0] ?? "")} (use: ${help.name}; see ${help.name} --help)`,
        );
      rest = args.slice(1);
    }
    let values: unknown;
    try {
      values = parseArgs({ args: rest, options: help.flags, allowPositionals: false, strict: true }).values;
    } catch (err) {
      throw new UsageError(`${help.name}: ${(err as Error).message} (see ${help.name} --help)`);
    }
    return run(values as Values<F>, io);
  };
  return Object.assign(command_, { help: help as CommandHelp });
}
