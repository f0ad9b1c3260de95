import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layering of src/ (the folder table of README.md, "The data path"), kept by lint. Each folder lists what it must not
// import; everything else is allowed. Imports are relative, so the patterns match path segments.
const SRC_FOLDERS = [
  "kube",
  "config",
  "telemetry",
  "cluster",
  "policies",
  "certs",
  "admission",
  "server",
  "cli",
];
const folders = (...names) => ({
  regex: `(^|/)(${names.join("|")})/`,
  message:
    "this folder sits below that one (README.md, the folder table): pass what it needs in, or move the shared part down",
});
const others = (...allowed) => folders(...SRC_FOLDERS.filter((name) => !allowed.includes(name)));

const POLICY_FAMILIES = ["access", "cvm", "istio", "nodes"];
const POLICY_COMPOSITION = "(index|validate|mutate-pod)\\.js$";
const POLICY_RULES = [
  others("kube", "config", "cluster", "policies"),
  {
    regex: "(^|/)cluster/live/",
    message: "policies read the cluster through ClusterView (src/cluster/view.ts)",
  },
];
const POLICY_PATHS = [
  { name: "prom-client", message: "policies report observations; src/telemetry/ counts them" },
];

/** A policy family's files at `depth` below src/policies/: no composition, only the families it builds on. */
function family(name, uses, depth) {
  const up = "\\.\\./".repeat(depth);
  const barred = POLICY_FAMILIES.filter((other) => other !== name && !uses.includes(other));
  const glob = `src/policies/${name}/${"*/".repeat(depth - 1)}*.ts`;
  const patterns = [
    ...POLICY_RULES,
    {
      regex: `^${up}${POLICY_COMPOSITION}`,
      message: "the composition imports the families, not the reverse",
    },
  ];
  if (barred.length > 0)
    patterns.push({
      regex: `^(\\.\\./)+(${barred.join("|")})/`,
      message: `policies/${name} does not build on it`,
    });
  return restrict([glob], patterns, POLICY_PATHS);
}

function restrict(files, patterns, paths = []) {
  return { files, rules: { "no-restricted-imports": ["error", { patterns, paths }] } };
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "charts/", "test/fixtures/", "bench/bodies/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  restrict(["src/kube/**"], [others("kube")]),
  restrict(["src/config/**"], [others("kube", "config")]),
  restrict(["src/cluster/**"], [others("kube", "config", "cluster", "telemetry")]),
  restrict(
    ["src/telemetry/**"],
    [
      others("telemetry", "policies"),
      {
        regex: "(^|/)policies/",
        allowTypeImports: true,
        message: "telemetry reads only the types of observations from src/policies/index.ts",
      },
    ],
  ),
  restrict(["src/certs/**"], [others("kube", "config", "certs", "telemetry")]),
  // The floor of the policies: what every family shares, importing no family.
  restrict(
    ["src/policies/*.ts"],
    [
      ...POLICY_RULES,
      { regex: `^\\./(${POLICY_FAMILIES.join("|")})/`, message: "the floor imports no policy family" },
    ],
    POLICY_PATHS,
  ),
  // The composition (index, validate, mutate-pod) may import the families.
  restrict(
    ["src/policies/index.ts", "src/policies/validate.ts", "src/policies/mutate-pod.ts"],
    POLICY_RULES,
    POLICY_PATHS,
  ),
  ...[1, 2, 3].flatMap((depth) => [
    family("access", ["cvm"], depth),
    family("cvm", ["nodes"], depth),
    family("istio", [], depth),
    family("nodes", [], depth),
  ]),
  restrict(
    ["src/admission/**"],
    [
      others("kube", "config", "cluster", "policies", "telemetry", "admission"),
      {
        regex: "(^|/)policies/(?!index\\.js$)",
        message: "the admission layer uses policies through src/policies/index.ts",
      },
    ],
  ),
  restrict(["src/server/**"], [others("kube", "config", "telemetry", "admission", "server", "certs")]),
);
