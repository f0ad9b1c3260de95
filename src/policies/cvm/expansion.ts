// The kubelet's `$(VAR)` expansion syntax (k8s third_party/forked/golang/expansion), tokenised the
// same way the kubelet reads it: `$$` is an escape, `$(NAME)` a reference (NAME runs to the first
// `)`), an unclosed `$(` and any other `$x` stay literal. The transform only renames references,
// so everything else in a string comes out byte for byte.

type Segment = { kind: "text"; text: string } | { kind: "ref"; name: string };

function segments(input: string): Segment[] {
  const out: Segment[] = [];
  let text = "";
  let from = 0; // input[from..] is not tokenised yet
  // Only a `$` with a character after it can start anything but text.
  for (let i = input.indexOf("$"); i >= 0 && i < input.length - 1; i = input.indexOf("$", from)) {
    text += input.slice(from, i);
    if (input[i + 1] !== "(") {
      text += input.slice(i, i + 2); // `$$` or `$x`: literal
      from = i + 2;
      continue;
    }
    const close = input.indexOf(")", i + 2);
    if (close < 0) {
      from = i; // an unclosed `$(`: the rest is literal
      break;
    }
    if (text) out.push({ kind: "text", text });
    text = "";
    out.push({ kind: "ref", name: input.slice(i + 2, close) });
    from = close + 1;
  }
  text += input.slice(from);
  if (text) out.push({ kind: "text", text });
  return out;
}

/** Names referenced as `$(NAME)` (escapes excluded). */
export function references(input: string): string[] {
  // Most values reference nothing: skip tokenising them (a 1,700-variable pod reads each twice).
  if (!input.includes("$(")) return [];
  return segments(input).flatMap((s) => (s.kind === "ref" ? [s.name] : []));
}

/** Renames references for which `rename` returns a new name; leaves every other byte alone. */
export function renameReferences(input: string, rename: (name: string) => string | undefined): string {
  if (!input.includes("$(")) return input;
  return segments(input)
    .map((s) => (s.kind === "text" ? s.text : `$(${rename(s.name) ?? s.name})`))
    .join("");
}

/** A value the kubelet passes through literally: every `$` doubled (its inverse is `unescapeLiteral`). */
export function escapeLiteral(value: string): string {
  return value.replaceAll("$", () => "$$");
}

export function unescapeLiteral(value: string): string {
  return value.replaceAll("$$", () => "$");
}
