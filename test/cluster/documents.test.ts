// Documents are read as kubectl reads them: go-yaml v2 (YAML 1.1) under sigs.k8s.io/yaml, and a
// JSON stream when the text starts with "{".

import { describe, expect, it } from "vitest";
import { InputError, parseDocuments } from "../../src/cluster/documents.js";

const values = (text: string) => parseDocuments(text, "f").map((d) => d.value);

describe("parseDocuments", () => {
  it("reads scalars as go-yaml v2 does", () => {
    const [doc] = values(
      "octal: 0400\nmode: 0755\nb1: yes\nb2: on\nb3: Off\nb4: y\nhex: 0x1F\nunderscore: 1_000\n" +
        "clock: 1:20\ndate: 2001-12-14\nfloat: 5.10\nquoted: '0400'\n",
    );
    expect(doc).toEqual({
      octal: 256,
      mode: 493,
      b1: true,
      b2: true,
      b3: false,
      b4: true,
      hex: 31,
      underscore: 1000,
      clock: "1:20", // no base-60 numbers in go-yaml v2
      date: "2001-12-14", // timestamps stay strings when decoded into interface{}
      float: 5.1,
      quoted: "0400",
    });
  });

  it("skips empty documents and reads a JSON stream, naming the document of an error", () => {
    expect(values("---\na: 1\n---\n---\nb: 2\n")).toEqual([{ a: 1 }, { b: 2 }]);
    expect(values(' {"a": "}{"}\n{"b": [1, {"c": "\\""}]}  ')).toEqual([{ a: "}{" }, { b: [1, { c: '"' }] }]);
    expect(parseDocuments('{"a": 1}', "f")[0]!.json).toBe(true);
    expect(() => parseDocuments('{"a": 1}\n{"b": tru}', "f")).toThrow(InputError);
    expect(() => parseDocuments('{"a": 1}\n{"b": tru}', "f")).toThrow(/^f: document 2: not valid JSON: /);
    expect(() => parseDocuments('{"a": 1} 3', "f")).toThrow(
      /^f: document 2: expected a JSON object, found "3"$/,
    );
    expect(() => parseDocuments("a: 1\n---\nb: [\n", "f")).toThrow(/^f: document 2: /);
  });
});
