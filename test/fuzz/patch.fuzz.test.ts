// The JSON patch of every answer (src/admission/response.ts), as a property: for any JSON document
// and any edit of it (values changed, keys added and removed, list entries inserted or removed
// anywhere), the patch applied under strict RFC 6902 rules to the original gives the edited
// document; entries inserted into a list are adds, not one op per shifted entry.

import fc from "fast-check";
import fastJsonPatch from "fast-json-patch";
import { expect, it } from "vitest";
import { toResponse } from "../../src/admission/response.js";
import { allow } from "../../src/policies/decision.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function patchFor(original: Json, mutated: Json): fastJsonPatch.Operation[] {
  const response = toResponse("uid", allow([], mutated as object), original);
  return response.patch ? JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) : [];
}

/** An edit anywhere in a document: drawn from the document's own containers. */
function edited(doc: Json): fc.Arbitrary<Json> {
  const containers: Json[] = [];
  const walk = (v: Json) => {
    if (v !== null && typeof v === "object") {
      containers.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  return fc
    .array(
      fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("insert", "remove", "set"), fc.jsonValue({ maxDepth: 2 })),
      {
        maxLength: 5,
      },
    )
    .map((edits) => {
      const copy = structuredClone(doc);
      const targets: Json[] = [];
      const collect = (v: Json) => {
        if (v !== null && typeof v === "object") {
          targets.push(v);
          Object.values(v).forEach(collect);
        }
      };
      collect(copy);
      for (const [which, at, kind, value] of edits) {
        const target = targets[which % Math.max(1, targets.length)];
        if (target === undefined) continue;
        if (Array.isArray(target)) {
          const i = at % (target.length + 1);
          if (kind === "insert") target.splice(i, 0, value as Json);
          else if (kind === "remove" && target.length > 0) target.splice(i % target.length, 1);
          else if (target.length > 0) target[i % target.length] = value as Json;
        } else if (typeof target === "object" && target !== null) {
          const keys = Object.keys(target);
          if (kind === "remove" && keys.length > 0) delete target[keys[at % keys.length]!];
          else
            target[kind === "insert" || keys.length === 0 ? `k${at}` : keys[at % keys.length]!] =
              value as Json;
        }
      }
      return copy;
    });
}

/**
 * `document` patched as the apiserver does it (in Go, where `__proto__` is an ordinary key):
 * fast-json-patch under strict RFC 6902 validation, on a copy whose objects have no prototype, so
 * its ban on `__proto__` paths (a guard for JavaScript objects) can be lifted safely.
 */
function patchedAsApiserver(document: Json, ops: fastJsonPatch.Operation[]): Json {
  const bare = (value: Json): Json => {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map(bare);
    const copy = Object.create(null) as Record<string, Json>;
    for (const [key, child] of Object.entries(value)) copy[key] = bare(child);
    return copy;
  };
  const result = fastJsonPatch.applyPatch(bare(document), ops, true, true, false).newDocument;
  return JSON.parse(JSON.stringify(result)) as Json;
}

const documents = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 4 }), {
  maxKeys: 6,
}) as fc.Arbitrary<Record<string, Json>>;

it("turns the original into the edited document under strict RFC 6902 rules", () => {
  fc.assert(
    fc.property(
      documents.chain((doc) => fc.tuple(fc.constant(doc), edited(doc))),
      (pair) => {
        // JSON.parse makes an own "__proto__" key as the apiserver would read it.
        const [original, mutated] = JSON.parse(JSON.stringify(pair)) as [Json, Json]; // as sent: -0 is 0
        const ops = patchFor(original, mutated);
        expect(patchedAsApiserver(original, ops)).toEqual(mutated);
      },
    ),
    { numRuns: Number(process.env["FUZZ_RUNS"] ?? 2000) },
  );
});

it("keeps an own __proto__ key an ordinary key (found by the 100,000-run property)", () => {
  const original = JSON.parse('{"a":{"__proto__":null,"b":1}}') as Json;
  const mutated = JSON.parse('{"a":{"b":1,"c":{"__proto__":2}}}') as Json;
  const ops = patchFor(original, mutated);
  expect(ops).toContainEqual({ op: "remove", path: "/a/__proto__" });
  expect(patchedAsApiserver(original, ops)).toEqual(mutated);
});

it("inserts in front of a copied list with one add: entries are matched by name", () => {
  const env = Array.from({ length: 1700 }, (_, i) => ({ name: `VAR_${i}`, value: `v${i}` }));
  const original = { spec: { containers: [{ name: "dev", env }] } };
  const mutated = structuredClone(original);
  mutated.spec.containers[0]!.env.unshift({ name: "CODER_AGENT_URL", value: "https://coder" });
  expect(patchFor(original, mutated)).toEqual([
    {
      op: "add",
      path: "/spec/containers/0/env/0",
      value: { name: "CODER_AGENT_URL", value: "https://coder" },
    },
  ]);
});

it("patches a container that keeps its name field by field, its shared env entries untouched", () => {
  const env = Array.from({ length: 1700 }, (_, i) => ({ name: `VAR_${i}`, value: `v${i}` }));
  const original = { spec: { containers: [{ name: "dev", image: "app", args: ["serve"], env }] } };
  // New entries in front, one renamed, one appended, the rest the same objects.
  const renamed = { name: "CVM_ENV_VAR_3", value: "v3" };
  const editedEnv = [{ name: "CODER_INNER_IMAGE", value: "app" }, ...env.slice(0, 3), renamed, ...env.slice(4)];
  editedEnv.push({ name: "CVM_ARGV_0", value: "serve" });
  const mutated = { spec: { containers: [{ name: "dev", image: "envbox", env: editedEnv }] } };
  expect(patchFor(original, mutated)).toEqual([
    { op: "remove", path: "/spec/containers/0/args" },
    { op: "replace", path: "/spec/containers/0/image", value: "envbox" },
    { op: "add", path: "/spec/containers/0/env/0", value: { name: "CODER_INNER_IMAGE", value: "app" } },
    { op: "replace", path: "/spec/containers/0/env/4/name", value: "CVM_ENV_VAR_3" },
    { op: "add", path: "/spec/containers/0/env/1701", value: { name: "CVM_ARGV_0", value: "serve" } },
  ]);
  expect(patchedAsApiserver(original, patchFor(original, mutated))).toEqual(mutated);
}); // prettier-ignore

it("replaces a list of mostly new entries in one op: a container that became another, an env renamed", () => {
  const env = Array.from({ length: 1700 }, (_, i) => ({ name: `VAR_${i}`, value: `v${i}` }));
  const original = { spec: { containers: [{ name: "dev", image: "app", env }] } };
  // As the CVM transform builds the supervisor: a new container, every variable under its encoded name.
  const supervisor = { name: "cvm-supervisor", image: "envbox", env: env.map((e) => ({ ...e, name: `CVM_ENV_${e.name}` })) };
  const mutated = { spec: { containers: [supervisor] } };
  expect(patchFor(original, mutated)).toEqual([{ op: "replace", path: "/spec/containers", value: [supervisor] }]);
  const renamedOnly = { spec: { containers: [{ ...original.spec.containers[0]!, env: supervisor.env }] } };
  expect(patchFor(original, renamedOnly)).toEqual([{ op: "replace", path: "/spec/containers/0/env", value: supervisor.env }]);
  expect(patchedAsApiserver(original, patchFor(original, mutated))).toEqual(mutated);
}); // prettier-ignore

it("patches around kept entries, however many new ones join them: a kept entry is never sent back", () => {
  const kept = { name: "data", emptyDir: {} };
  const added = Array.from({ length: 7 }, (_, i) => ({ name: `cvm-${i}`, emptyDir: {} }));
  const ops = patchFor({ volumes: [kept] }, { volumes: [...added, kept] });
  expect(ops).toEqual(added.map((value, i) => ({ op: "add", path: `/volumes/${i}`, value })));
});

/**
 * A list edited as the policies edit (copy on write): runs of new entries inserted, runs dropped,
 * entries replaced by new ones, and (which policies do not do) entries moved; every other entry is
 * the same object. Runs longer than the patch's look-ahead make it index the list.
 */
const editedLists = fc
  .tuple(
    fc.integer({ min: 0, max: 60 }),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom("insert", "drop", "replace", "move"),
        fc.integer({ min: 1, max: 40 }),
      ),
      { maxLength: 6 },
    ),
  )
  .map(([length, edits]) => {
    const original = Array.from({ length }, (_, i) => ({ name: `e${i % 7}`, value: i }));
    const mutated: Array<{ name: string; value: number }> = [...original];
    let created = 0;
    let changed = 0;
    const fresh = () => ({ name: `n${created % 5}`, value: 1000 + created++ });
    for (const [at, kind, run] of edits) {
      const i = at % (mutated.length + 1);
      const count = Math.min(run, mutated.length - i);
      if (kind === "insert") {
        mutated.splice(i, 0, ...Array.from({ length: run }, fresh));
        changed += run;
      } else if (kind === "drop") {
        mutated.splice(i, count);
        changed += count;
      } else if (kind === "replace") {
        for (let k = i; k < i + count; k++) mutated[k] = fresh();
        changed += count;
      } else if (i < mutated.length) {
        // Moved `count - 1` places back: the entries passed over may be removed and added again.
        mutated.splice(i + count - 1, 0, ...mutated.splice(i, 1));
        changed += count;
      }
    }
    return { original, mutated, changed };
  });

it("patches lists edited copy-on-write correctly, with ops in proportion to the edit", () => {
  fc.assert(
    fc.property(editedLists, ({ original, mutated, changed }) => {
      const ops = patchFor({ list: original } as Json, { list: mutated } as Json);
      expect(patchedAsApiserver({ list: original } as Json, ops)).toEqual({ list: mutated });
      // A changed or passed-over entry costs at most a remove and an add, or a replace of its two fields.
      expect(ops.length).toBeLessThanOrEqual(2 * changed);
    }),
    { numRuns: Number(process.env["FUZZ_RUNS"] ?? 2000) },
  );
});
