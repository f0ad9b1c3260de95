// `mutate -f` reads its input as kubectl does and answers for every document: YAML 1.1 numbers,
// Lists that stay Lists, JSON streams, output formats, reviews for denials, type errors listed as
// input errors, and notes when the webhook would not see the object or the apiserver would refuse it.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { runCli } from "../support/cli.js";

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "cvm-mutate-")), name);
  writeFileSync(path, text);
  return path;
}

const LABELS = '    labels:\n      cvm.dev/enabled: "true"\n';
const pod = (name: string, spec = "", meta = `  name: ${name}\n`) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n${meta}  namespace: default\n  labels:\n    cvm.dev/enabled: "true"\n` +
  `spec:\n  containers:\n    - name: dev\n      image: ubuntu:24.04\n      command: [sleep, infinity]\n${spec}`;
const SECRET_VOLUME =
  "      volumeMounts: [{name: s, mountPath: /s}]\n  volumes:\n    - name: s\n      secret:\n        secretName: s\n        defaultMode: 0400\n";
const HOST_NETWORK = "  hostNetwork: true\n";

/** The JSON documents of a stream of pretty-printed objects. */
const jsonStream = (text: string): unknown[] =>
  text
    .trimEnd()
    .split(/\n(?=\{)/)
    .map((t) => JSON.parse(t));

/** Every value of a `key` anywhere inside `value`. */
function valuesOf(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOf(v, key));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === key ? [v, ...valuesOf(v, key)] : valuesOf(v, key)));
}

describe("mutate -f: input read as Kubernetes reads it", () => {
  it("takes defaultMode: 0400 as the octal 256 (YAML 1.1), in YAML and in JSON output", async () => {
    const input = file("pod.yaml", pod("dev", SECRET_VOLUME));
    const json = await runCli(["mutate", "-f", input, "-o", "json"]);
    expect(json.status).toBe(0);
    const modes = valuesOf(JSON.parse(json.stdout), "defaultMode");
    expect(modes.length).toBeGreaterThan(0);
    expect(modes).toContain(256);
    expect(modes).not.toContain(400);
    const yaml = await runCli(["mutate", "-f", input]);
    expect(valuesOf(parse(yaml.stdout, { version: "1.1" }), "defaultMode")).toContain(256);
  });

  it("reads a JSON stream (objects one after another) and answers every object", async () => {
    const a = JSON.stringify(parse(pod("a")));
    const b = JSON.stringify(parse(pod("b")));
    const result = await runCli(["mutate", "-f", file("pods.json", `${a}\n${b}`)]);
    expect(result.status).toBe(0);
    const docs = jsonStream(result.stdout) as {
      metadata: { name: string };
      spec: { containers: { name: string }[] };
    }[];
    expect(docs.map((d) => d.metadata.name)).toEqual(["a", "b"]);
    for (const doc of docs) expect(doc.spec.containers[0]!.name).toBe("cvm-supervisor");
  });

  it("keeps a kind: List a List, items in order, other kinds unchanged", async () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [
        parse(pod("a")),
        { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { ports: [{ port: 80 }] } },
      ],
    };
    for (const [name, text] of [
      ["list.yaml", JSON.stringify(list).replace(/^/, "# as YAML\n")],
      ["list.json", JSON.stringify(list)],
    ]) {
      const result = await runCli(["mutate", "-f", file(name!, text!), "-o", "json"]);
      expect(result.status).toBe(0);
      const out = JSON.parse(result.stdout) as typeof list;
      expect(out.kind).toBe("List");
      expect(out.items.map((i: { kind: string }) => i.kind)).toEqual(["Pod", "Service"]);
      expect(JSON.stringify(out.items[0])).toContain("cvm-supervisor");
      expect(out.items[1]).toEqual(list.items[1]);
    }
  });

  it("prints -o yaml for JSON input and -o json for YAML input", async () => {
    const yamlOut = await runCli([
      "mutate",
      "-f",
      file("p.json", JSON.stringify(parse(pod("a")))),
      "-o",
      "yaml",
    ]);
    expect(yamlOut.stdout).toMatch(/^kind: Pod$/m);
    expect(parse(yamlOut.stdout).metadata.name).toBe("a");
    const jsonOut = await runCli(["mutate", "-f", file("p.yaml", pod("a")), "-o", "json"]);
    expect(JSON.parse(jsonOut.stdout).metadata.name).toBe("a");
  });

  it("exits 2 on an empty input", async () => {
    for (const text of ["", "# only a comment\n---\n", "  \n"]) {
      expect(await runCli(["mutate", "-f", file("empty.yaml", text)])).toMatchObject({
        status: 2,
        stderr: expect.stringMatching(/^cvm-admission: input: \S+empty\.yaml holds no objects\n$/),
      });
    }
  });
});

describe("mutate -f: every output names its document", () => {
  const twoDocs = () => file("two.yaml", `${pod("ok")}---\n${pod("bad", HOST_NETWORK)}`);

  it("-o review prints the decided review for a denial too, each naming document and object", async () => {
    const result = await runCli(["mutate", "-f", twoDocs(), "-o", "review"]);
    expect(result.status).toBe(1);
    const entries = jsonStream(result.stdout) as {
      document: string;
      object: string;
      review: { response: { allowed: boolean; status?: { code: number; message: string } } };
    }[];
    expect(
      entries.map((e) => [e.document.replace(/^\S+\//, ""), e.object, e.review.response.allowed]),
    ).toEqual([
      ["two.yaml: document 1", "Pod default/ok", true],
      ["two.yaml: document 2", "Pod default/bad", false],
    ]);
    expect(entries[1]!.review.response.status).toMatchObject({
      code: 403,
      message: expect.stringContaining("hostNetwork"),
    });
  });

  it("-o patch entries and YAML documents say where they came from; a denied document stays a comment", async () => {
    const patch = await runCli(["mutate", "-f", twoDocs(), "-o", "patch"]);
    const entries = jsonStream(patch.stdout) as { document: string; object: string; patch: unknown[] }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      document: expect.stringMatching(/two\.yaml: document 1$/),
      object: "Pod default/ok",
    });
    expect(entries[0]!.patch.length).toBeGreaterThan(0);

    const yaml = await runCli(["mutate", "-f", twoDocs()]);
    const docs = parseAllDocuments(yaml.stdout);
    expect(docs).toHaveLength(2);
    expect(docs[0]!.commentBefore).toMatch(/two\.yaml: document 1$/);
    expect(docs[1]!.toJS()).toBeNull();
    expect(yaml.stdout).toMatch(/two\.yaml: document 2 \(not mutated: see the messages above\)/);
    expect(yaml.stderr).toMatch(/^denied: \S+two\.yaml: document 2: Pod default\/bad: .*hostNetwork/m);
  });

  it("names a pod with generateName by it", async () => {
    const result = await runCli([
      "mutate",
      "-f",
      file("g.yaml", pod("", HOST_NETWORK, "  generateName: web-\n")),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^denied: \S+g\.yaml: document 1: Pod default\/web-\*: /m);
  });
});

describe("mutate -f: type errors are input errors", () => {
  it("lists every field of the wrong type, exit 2, as input (not request.object)", async () => {
    const deployment =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  template:\n    metadata:\n" +
      LABELS +
      "    spec:\n      containers:\n        - name: dev\n          image: 5\n          ports: [{containerPort: http}]\n" +
      "          stdin: maybe\n          resources: {limits: {cpu: true}}\n";
    const result = await runCli(["mutate", "-f", file("d.yaml", deployment)]);
    expect(result.status).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    const prefix =
      /^input: \S+d\.yaml: document 1: Deployment default\/web: spec\.template\.spec\.containers\[0\]\./;
    expect(
      lines
        .filter((l) => prefix.test(l))
        .map((l) => l.replace(prefix, ""))
        .sort(),
    ).toEqual([
      "image must be string",
      "ports[0].containerPort must be integer",
      "resources.limits.cpu must be string or number",
      "stdin must be boolean",
    ]);
    expect(result.stderr).not.toContain("request.object");
  });
});

describe("mutate -f: notes", () => {
  it("notes when the webhook would not be called for the input (no opt-in label)", async () => {
    const unlabelled = pod("a").replace('  labels:\n    cvm.dev/enabled: "true"\n', "");
    const result = await runCli(["mutate", "-f", file("p.yaml", unlabelled)]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      /^note: \S+p\.yaml: document 1: Pod default\/a: has no label cvm\.dev\/enabled: "true", so the webhook would not be called for it/m,
    );
    expect((await runCli(["mutate", "-f", file("p.yaml", pod("a"))])).stderr).not.toMatch(/^note:/m);
  });

  it("notes when the apiserver would refuse the object for its size", async () => {
    const big = pod("a").replace(
      "  namespace: default\n",
      `  namespace: default\n  annotations:\n    a: "${"x".repeat(1_600_000)}"\n`,
    );
    const result = await runCli(["mutate", "-f", file("p.yaml", big), "-o", "patch"]);
    expect(result.stderr).toMatch(
      /^note: \S+p\.yaml: document 1: Pod default\/a: 16\d{5} bytes as JSON: the apiserver would refuse it/m,
    );
  });
});
