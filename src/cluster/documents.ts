// Kubernetes documents read from a file as kubectl reads them: a stream of JSON values when the
// text starts with "{" (the apiserver's YAMLOrJSONDecoder), else multi-document YAML 1.1, the
// version of go-yaml v2 under sigs.k8s.io/yaml: `0400` is octal (256), yes/no/on/off are booleans.
// go-yaml v2 has no base-60 numbers and leaves timestamps as strings, so neither is read here.

import { parseAllDocuments, type Tags } from "yaml";

/** The text is not Kubernetes documents at all (bad YAML or JSON). */
export class InputError extends Error {
  override name = "InputError";
}

export interface SourceDocument {
  /** "FILE: document N", for messages. */
  where: string;
  value: unknown;
  /** Whether the document was JSON (output then keeps to JSON). */
  json: boolean;
}

const GO_YAML_V2_TAGS = (tags: Tags): Tags =>
  tags.filter((tag) => {
    const { tag: name, format } = tag as { tag: string; format?: string };
    return name !== "tag:yaml.org,2002:timestamp" && format !== "TIME";
  });

/** End index (exclusive) of the JSON object or array starting at `start`, or -1 if it never closes. */
function endOfJsonValue(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function jsonStream(text: string, source: string): SourceDocument[] {
  const docs: SourceDocument[] = [];
  for (let start = text.search(/\S/); start !== -1 && start < text.length;) {
    const where = `${source}: document ${docs.length + 1}`;
    const end = endOfJsonValue(text, start);
    if (text[start] !== "{" && text[start] !== "[")
      throw new InputError(
        `${where}: expected a JSON object, found ${JSON.stringify(text.slice(start, start + 20))}`,
      );
    if (end === -1) throw new InputError(`${where}: JSON ends before the object is closed`);
    try {
      docs.push({ where, value: JSON.parse(text.slice(start, end)), json: true });
    } catch (err) {
      throw new InputError(`${where}: not valid JSON: ${(err as Error).message}`);
    }
    const next = text.slice(end).search(/\S/);
    start = next === -1 ? -1 : end + next;
  }
  return docs;
}

/** Every document of the text; empty documents (a trailing `---`) are left out. */
export function parseDocuments(text: string, source: string): SourceDocument[] {
  if (/^\s*\{/.test(text)) return jsonStream(text, source);
  const docs: SourceDocument[] = [];
  for (const [i, doc] of parseAllDocuments(text, { version: "1.1", customTags: GO_YAML_V2_TAGS }).entries()) {
    const where = `${source}: document ${i + 1}`;
    if (doc.errors.length > 0) throw new InputError(`${where}: ${doc.errors[0]!.message.split("\n")[0]}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) docs.push({ where, value, json: /^\s*[[{]/.test(text) });
  }
  return docs;
}
