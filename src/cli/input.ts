// Reading a file the user named, with the operating system's refusal turned into one line that
// says which flag and file and what is wrong (a directory, missing, not readable).

import { readFileSync } from "node:fs";
import { UsageError } from "./args.js";

const REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
};

/** The text of `path` ("-" is standard input). */
export function readInput(path: string, flag: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const reason = REASONS[code] ?? (err as Error).message.split("\n")[0];
    throw new UsageError(`${flag} ${path === "-" ? "(standard input)" : path}: ${reason}`);
  }
}
