// Hostile request bodies for the admission endpoints, built from real reviews: random JSON,
// truncated and byte-garbled reviews, a wrong type or a deleted value at any path, huge strings,
// deep nesting, prototype-pollution keys and unusual unicode.

import { readFileSync } from "node:fs";
import fc from "fast-check";

export interface HostileRequest {
  path: "/mutate" | "/validate";
  body: Buffer;
  contentType: string;
  /** What the mutation was, for the failure message. */
  what: string;
}

const SEED_FILES = [
  "bench/bodies/cvm-pod.json",
  "bench/bodies/plain-pod.json",
  "bench/bodies/binding-review.json",
  "bench/bodies/exec-review.json",
  "examples/review-cvm-pod.json",
];
const SEED_TEXTS = SEED_FILES.map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), "utf8"));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Every path into a JSON value (the root excluded). */
function pathsOf(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  const children: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value !== null && typeof value === "object"
      ? Object.entries(value)
      : [];
  for (const [key, child] of children) {
    out.push([...prefix, key]);
    pathsOf(child, [...prefix, key], out);
  }
  return out;
}

const SEEDS = SEED_TEXTS.map((text) => {
  const value = JSON.parse(text) as Json;
  const paths = pathsOf(value);
  return {
    text,
    value,
    paths,
    stringPaths: paths.filter((p) => typeof getAt(value, p) === "string"),
    objectPaths: [[], ...paths].filter((p) => {
      const v = getAt(value, p);
      return v !== null && typeof v === "object" && !Array.isArray(v);
    }),
  };
});

function getAt(value: Json, path: Path): Json {
  return path.reduce<Json>((v, k) => (v as Record<string, Json>)[k as string] as Json, value);
}

/** A copy of `value` with `edit` applied to the parent of `path` (as own properties only). */
function editAt(
  value: Json,
  path: Path,
  edit: (parent: Record<string, Json> | Json[], key: string | number) => void,
): Json {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string, Json> | Json[];
  edit(parent, path[path.length - 1]!);
  return copy;
}

function setOwn(parent: Record<string, Json> | Json[], key: string | number, v: Json): void {
  // defineProperty: a plain assignment of "__proto__" would change the prototype, not add a key.
  Object.defineProperty(parent, key, { value: v, enumerable: true, writable: true, configurable: true });
}

const PLACEHOLDER = "\u0000deep-nesting\u0000";
const seedIndex = fc.nat({ max: SEEDS.length - 1 });
const endpoint = fc.constantFrom<"/mutate" | "/validate">("/mutate", "/validate");
const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 3 }),
) as fc.Arbitrary<Json>;
const weirdString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\uFEFF",
    "\u202E",
    "$(HOME)",
    "$$(X)",
    "../../etc/passwd",
    "\\",
    '"',
    "\ud800",
  ),
);

type Built = { what: string; text: string | Buffer };

const randomJson: fc.Arbitrary<Built> = fc
  .json({ maxDepth: 6 })
  .map((text) => ({ what: "random JSON", text }));

const truncated = fc.tuple(seedIndex, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, at]): Built => {
  const { text } = SEEDS[s]!;
  const cut = Math.floor(at * text.length);
  return { what: `seed ${s} cut at ${cut}`, text: text.slice(0, cut) };
});

const garbled = fc
  .tuple(
    seedIndex,
    fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: 255 })), {
      minLength: 1,
      maxLength: 8,
    }),
  )
  .map(([s, edits]): Built => {
    const bytes = Buffer.from(SEEDS[s]!.text);
    for (const [at, byte] of edits) bytes[Math.floor(at * (bytes.length - 1))] = byte;
    return { what: `seed ${s} with ${edits.length} bytes changed`, text: bytes };
  });

const pathOf = (paths: Path[]) => fc.nat().map((i) => paths[i % paths.length]!);

const wrongType = seedIndex.chain((s) =>
  fc.tuple(pathOf(SEEDS[s]!.paths), fc.option(anyValue, { nil: undefined })).map(([path, v]): Built => {
    const value = editAt(SEEDS[s]!.value, path, (parent, key) => {
      if (v === undefined) {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key as string];
      } else setOwn(parent, key, v);
    });
    return {
      what: `seed ${s} ${v === undefined ? "without" : "with " + JSON.stringify(v)?.slice(0, 60) + " at"} /${path.join("/")}`,
      text: JSON.stringify(value),
    };
  }),
);

const strangeString = seedIndex.chain((s) =>
  fc
    .tuple(
      pathOf(SEEDS[s]!.stringPaths),
      fc.oneof(
        weirdString,
        fc
          .tuple(fc.integer({ min: 10_000, max: 1_000_000 }), fc.constantFrom("x", "é", "😀", "\\"))
          .map(([n, c]) => c.repeat(n)),
      ),
    )
    .map(([path, v]): Built => ({
      what: `seed ${s} with a ${v.length}-char string at /${path.join("/")}`,
      text: JSON.stringify(editAt(SEEDS[s]!.value, path, (parent, key) => setOwn(parent, key, v))),
    })),
);

const deepNesting = seedIndex.chain((s) =>
  fc
    .tuple(pathOf(SEEDS[s]!.paths), fc.integer({ min: 100, max: 20_000 }), fc.boolean())
    .map(([path, depth, arrays]): Built => {
      const value = editAt(SEEDS[s]!.value, path, (parent, key) => setOwn(parent, key, PLACEHOLDER));
      const deep = arrays
        ? "[".repeat(depth) + "1" + "]".repeat(depth)
        : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
      return {
        what: `seed ${s} with nesting ${depth} deep at /${path.join("/")}`,
        text: JSON.stringify(value).replace(JSON.stringify(PLACEHOLDER), deep),
      };
    }),
);

const POLLUTING_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "hasOwnProperty",
  "toString",
  "valueOf",
  "toJSON",
];
const pollution = seedIndex.chain((s) =>
  fc
    .tuple(
      pathOf(SEEDS[s]!.objectPaths),
      fc.constantFrom(...POLLUTING_KEYS),
      fc.constantFrom<Json>({ polluted: "yes" }, "polluted", 1, null, [{ polluted: "yes" }]),
    )
    .map(([path, key, v]): Built => {
      const value = structuredClone(SEEDS[s]!.value);
      setOwn(getAt(value, path) as Record<string, Json>, key, v);
      return {
        what: `seed ${s} with key ${key}=${JSON.stringify(v)} at /${path.join("/")}`,
        text: JSON.stringify(value),
      };
    }),
);

export const hostileRequest: fc.Arbitrary<HostileRequest> = fc
  .tuple(
    endpoint,
    fc.oneof(
      randomJson,
      truncated,
      garbled,
      wrongType,
      wrongType,
      strangeString,
      deepNesting,
      pollution,
      pollution,
    ),
    fc.oneof(
      { weight: 20, arbitrary: fc.constant("application/json") },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "application/json; charset=utf-8",
          "text/plain",
          "application/json; charset=latin1",
          "",
        ),
      },
    ),
  )
  .map(([path, built, contentType]) => {
    const what = `${path} ${built.what} (${contentType || "no content type"})`;
    const body = Buffer.isBuffer(built.text) ? built.text : Buffer.from(built.text);
    // A counterexample is reported by what was done to which seed, not as a megabyte of bytes.
    return { path, body, contentType, what, [fc.toStringMethod]: () => what };
  });
