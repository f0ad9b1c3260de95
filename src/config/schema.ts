// The configuration's JSON Schema: one source for validation, defaults (ajv useDefaults) and the
// env-variable overrides (every leaf path becomes CVM_ADMISSION_<PATH>).

import { BASELINE_VERSION_PATTERN } from "./baseline-version.js";
import { VERSION_RANGE_PATTERN } from "./version-range.js";

/** One envbox switch: its value when the pod's annotation is absent, and whether the annotation may set it. */
const FEATURE = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    default: { type: "boolean", default: false },
    allowed: { type: "boolean", default: true },
  },
} as const;

/** A ConfigMap's name (a DNS subdomain), or "" for none (the extra-CA ConfigMap). */
export const CONFIGMAP_NAME_PATTERN = "^$|^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$";

/** An absolute path without empty, `.` or `..` segments and without a trailing slash (no lookahead:
 * Helm checks values.schema.json with Go's regexp). */
const ABSOLUTE_PATH_PATTERN = "^(/([^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+))+$";

/** An extended resource name: a domain prefix and a name (cpu, memory and hugepages-* have no prefix). */
const EXTENDED_RESOURCE_PATTERN =
  "^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";

/** An IPv4 address with a prefix length, or "" (envbox's bridge CIDR). */
export const CIDR_PATTERN =
  "^$|^((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/([0-9]|[12]\\d|3[0-2])$";

export const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    form: { enum: ["envbox", "runtimeclass"], default: "envbox" },
    supervisor: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        image: {
          type: "string",
          minLength: 1,
          default:
            "ghcr.io/coder/envbox:0.6.7@sha256:93b212e287abeef70a854574dbd0f08df3ad65224f0632d1d5a3f1c0dc87f897",
        },
        imagePullPolicy: { enum: ["Always", "IfNotPresent", "Never"], default: "IfNotPresent" },
        /** Pull secrets for the envbox image itself, added to every CVM pod. */
        imagePullSecrets: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
        /** sizeLimit of the emptyDirs that hold the outer and inner image stores. */
        dockerVolumeSizeLimit: { type: "string", default: "" },
        /** envbox switches a pod may turn on with cvm.dev/* annotations (docs/cvm-form.md, "Options"). */
        features: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            tun: FEATURE,
            fuse: FEATURE,
            disableIdmappedMount: FEATURE,
          },
        },
        /** The inner Docker bridge's CIDR when the pod names none; "" keeps envbox's (172.19.0.1/30). */
        dockerBridgeCIDR: { type: "string", pattern: CIDR_PATTERN, default: "" },
        /** The ConfigMap (in the pod's namespace) whose ca.crt envbox trusts when the pod names none
         * (cvm.dev/extra-ca-configmap); "" for none; `allowed`: whether the annotation may name another or "". */
        extraCaConfigMap: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            default: { type: "string", pattern: CONFIGMAP_NAME_PATTERN, default: "" },
            allowed: { type: "boolean", default: true },
          },
        },
        /** GPU passthrough (docs/cvm-form.md, "GPUs"): a pod asks with one of `resourceNames` on its app
         * container; the supervisor then mounts the host's `hostLibraryDir` read-only for envbox. */
        gpu: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            allowed: { type: "boolean", default: false },
            hostLibraryDir: {
              type: "string",
              pattern: ABSOLUTE_PATH_PATTERN,
              default: "/usr/lib/x86_64-linux-gnu",
            },
            resourceNames: {
              type: "array",
              minItems: 1,
              items: { type: "string", pattern: EXTENDED_RESOURCE_PATTERN },
              default: ["nvidia.com/gpu"],
            },
          },
        },
      },
    },
    runtimeClass: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: "string", minLength: 1, default: "sysbox-runc" },
        /** How pods get a user namespace: `hostUsers: false` (containerd 2.0.5+) or CRI-O's annotation. */
        userNamespaces: { enum: ["hostUsers", "crioAnnotation"], default: "hostUsers" },
      },
    },
    kernel: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        minimum: { type: "string", pattern: "^\\d{1,4}\\.\\d{1,4}$", default: "5.4" },
      },
    },
    nodes: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        /** true: the leader writes cvm.dev/eligible on nodes; false: affinity on NFD kernel labels. */
        labels: { type: "boolean", default: true },
      },
    },
    labels: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        podOptIn: { type: "string", minLength: 1, default: "cvm.dev/enabled" },
        namespaceOptIn: { type: "string", minLength: 1, default: "cvm.dev/enabled" },
        nodeEligible: { type: "string", minLength: 1, default: "cvm.dev/eligible" },
      },
    },
    istio: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        policy: { enum: ["optOut", "reroute", "warn", "deny"], default: "optOut" },
        /** Proxy versions known to break CVMs: ">=1.6", ">=1.6 <1.30", "*"; unknown versions count as bad. */
        badVersions: { type: "string", pattern: VERSION_RANGE_PATTERN, default: ">=1.6" },
        /** Where Istio's injector takes its images from (its `hub`): only containers with these images get
         * the mesh's capabilities in opted-in namespaces. */
        proxyImageRepositories: {
          type: "array",
          items: { type: "string", pattern: "^[a-z0-9][a-z0-9.:_-]*(/[a-z0-9._-]+)*$" },
          default: ["docker.io/istio", "gcr.io/istio-release", "registry.istio.io/release"],
        },
      },
    },
    access: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        breakGlassGroups: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
        /** Pod Security baseline of this Kubernetes version judges pods in opted-in namespaces: `latest`
         * (the newest this build knows) or `v1.N` to pin an older one. */
        baselineVersion: { type: "string", pattern: BASELINE_VERSION_PATTERN, default: "latest" },
      },
    },
    server: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        port: { type: "integer", minimum: 1, maximum: 65535, default: 8443 },
        host: { type: "string", default: "0.0.0.0" },
        certsDir: { type: "string", minLength: 1, default: "certs" },
        maxConnections: { type: "integer", minimum: 1, default: 1024 },
        maxConnectionsPerClient: { type: "integer", minimum: 1, default: 256 },
        drainDelaySeconds: { type: "integer", minimum: 0, maximum: 300, default: 5 },
      },
    },
    cluster: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        /** Where the cluster view comes from: "embedded" (examples/cluster-view.yaml, no cluster),
         * "live" (in-cluster service account or $KUBECONFIG), or the path of a cluster-view file. */
        source: { type: "string", minLength: 1, default: "embedded" },
        /** Timeout of the one direct read on a cache miss. */
        readTimeoutMs: { type: "integer", minimum: 50, maximum: 10000, default: 1000 },
      },
    },
    leaderElection: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: "boolean", default: true },
        leaseName: { type: "string", minLength: 1, default: "cvm-admission-leader" },
        namespace: { type: "string", default: "" },
        leaseDurationSeconds: { type: "integer", minimum: 2, default: 15 },
        renewDeadlineSeconds: { type: "integer", minimum: 1, default: 10 },
        retryPeriodSeconds: { type: "integer", minimum: 1, default: 2 },
      },
    },
    certificates: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        /** selfManaged: the leader keeps CA + cert in a Secret and injects caBundle; files: mounted by the operator. */
        mode: { enum: ["selfManaged", "certManager", "files"], default: "files" },
        serviceName: { type: "string", minLength: 1, default: "cvm-admission" },
        namespace: { type: "string", default: "" },
        secretName: { type: "string", minLength: 1, default: "cvm-admission-tls" },
        webhookConfigurationName: { type: "string", minLength: 1, default: "cvm-admission" },
      },
    },
    logging: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ["fatal", "error", "warn", "info", "debug", "trace"], default: "info" },
      },
    },
  },
} as const;
