// The Kubernetes side of self-managed certificates: the Secret as the store, the two webhook
// configurations' caBundle, and the ready replicas behind the Service. RBAC (chart rbac.yaml):
// secrets create + get/update by name, webhook configurations get/patch by name, endpointslices list.
// It uses client-node's generated API clients, not src/cluster/live/kube-client.ts: a few typed
// reads and writes on the leader's rotation timer, off the admission path, where a stalled call
// delays a rotation but holds no answer; the live caches and the admission path's direct reads
// need the per-call deadlines and watch timeouts client-node lacks.

import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1Secret,
  type AdmissionregistrationV1WebhookClientConfig,
} from "@kubernetes/client-node";
import type { Config } from "../config/config.js";
import type { Logger } from "../telemetry/logger.js";
import { CertificateError, serviceDnsNames } from "./generate.js";
import {
  manageCertificates,
  type CertificateStore,
  type SelfManagedCertificates,
  type WebhookCaBundles,
} from "./self-managed.js";
import { servedFingerprints, type ReplicaAddress } from "./served.js";
import type { StoredCertificates } from "./rotation.js";

const isNotFound = (err: unknown) => err instanceof ApiException && err.code === 404;
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined) => Buffer.from(text ?? "", "base64").toString("utf8");

/** Secret keys: the kubernetes.io/tls pair the pods serve, the bundle, and the signing CA. */
export const SECRET_KEYS = {
  cert: "tls.crt",
  key: "tls.key",
  bundle: "ca.crt",
  issuerCert: "issuer.crt",
  issuerKey: "issuer.key",
} as const;

export function secretToCertificates(secret: V1Secret): StoredCertificates | undefined {
  const data = secret.data ?? {};
  const value = (key: string) => unb64(data[key]);
  const stored: StoredCertificates = {
    caBundle: value(SECRET_KEYS.bundle),
    issuer: { certPem: value(SECRET_KEYS.issuerCert), keyPem: value(SECRET_KEYS.issuerKey) },
    serving: { certPem: value(SECRET_KEYS.cert), keyPem: value(SECRET_KEYS.key) },
  };
  // An empty or foreign Secret counts as "nothing stored"; a half-broken one is repaired by the rotation.
  return stored.issuer.certPem === "" && stored.serving.certPem === "" ? undefined : stored;
}

function certificatesToData(certificates: StoredCertificates): Record<string, string> {
  return {
    [SECRET_KEYS.cert]: b64(certificates.serving.certPem),
    [SECRET_KEYS.key]: b64(certificates.serving.keyPem),
    [SECRET_KEYS.bundle]: b64(certificates.caBundle),
    [SECRET_KEYS.issuerCert]: b64(certificates.issuer.certPem),
    [SECRET_KEYS.issuerKey]: b64(certificates.issuer.keyPem),
  };
}

/** The Secret, written with optimistic concurrency: a write based on a stale read fails (409) and the next pass starts over. */
export function secretStore(kubeConfig: KubeConfig, namespace: string, name: string): CertificateStore {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let resourceVersion: string | undefined;
  return {
    async read() {
      try {
        const secret = await core.readNamespacedSecret({ name, namespace });
        resourceVersion = secret.metadata?.resourceVersion;
        return secretToCertificates(secret);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        resourceVersion = undefined;
        return undefined;
      }
    },
    async write(certificates) {
      const body: V1Secret = {
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/tls",
        metadata: {
          name,
          namespace,
          labels: { "app.kubernetes.io/managed-by": "cvm-admission" },
          resourceVersion,
        },
        data: certificatesToData(certificates),
      };
      const written =
        resourceVersion === undefined
          ? await core.createNamespacedSecret({ namespace, body })
          : await core.replaceNamespacedSecret({ name, namespace, body });
      resourceVersion = written.metadata?.resourceVersion;
    },
  };
}

interface WebhookConfiguration {
  webhooks?: { name: string; clientConfig: AdmissionregistrationV1WebhookClientConfig }[];
}

/** caBundle of both configurations (mutating and validating) named `name`. */
export function webhookCaBundles(kubeConfig: KubeConfig, name: string): WebhookCaBundles {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const readBoth = async (): Promise<[WebhookConfiguration, WebhookConfiguration]> =>
    Promise.all([
      api.readMutatingWebhookConfiguration({ name }),
      api.readValidatingWebhookConfiguration({ name }),
    ]);
  // JSON patch with a test on each webhook's name, so a concurrent edit that reorders webhooks fails instead of writing the wrong entry.
  const patchFor = (config: WebhookConfiguration, bundle: string) =>
    (config.webhooks ?? []).flatMap((webhook, i) => [
      { op: "test", path: `/webhooks/${i}/name`, value: webhook.name },
      { op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: b64(bundle) },
    ]);
  return {
    async read() {
      const configs = await readBoth();
      return configs.flatMap((config) =>
        (config.webhooks ?? []).map((webhook) => unb64(webhook.clientConfig.caBundle)),
      );
    },
    async patch(bundle) {
      const [mutating, validating] = await readBoth();
      await api.patchMutatingWebhookConfiguration({ name, body: patchFor(mutating, bundle) });
      await api.patchValidatingWebhookConfiguration({ name, body: patchFor(validating, bundle) });
    },
  };
}

/** Ready endpoints of the Service (EndpointSlices carry the label kubernetes.io/service-name). */
export async function readyReplicas(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceName: string,
): Promise<ReplicaAddress[]> {
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${serviceName}`,
  });
  return slices.items.flatMap((slice) => {
    const port = slice.ports?.find((p) => p.name === "https")?.port ?? slice.ports?.[0]?.port;
    if (port === undefined) return [];
    return slice.endpoints
      .filter((endpoint) => endpoint.conditions?.ready !== false)
      .flatMap((endpoint) => endpoint.addresses.map((host) => ({ host, port })));
  });
}

export interface SelfManagedWiring {
  config: Config;
  kubeConfig: KubeConfig;
  isLeader(): boolean;
  logger: Logger;
}

/** Self-managed certificates wired to the cluster from the config (what `serve` starts in that mode). */
export function startSelfManagedCertificates({
  config,
  kubeConfig,
  isLeader,
  logger,
}: SelfManagedWiring): SelfManagedCertificates {
  const { serviceName, secretName, webhookConfigurationName } = config.certificates;
  const namespace = config.certificates.namespace || process.env["POD_NAMESPACE"] || "";
  if (namespace === "")
    throw new CertificateError(
      "certificates.namespace is empty and POD_NAMESPACE is not set: cannot tell where the Secret lives",
    );
  const identity = { serviceName, namespace };
  const servername = serviceDnsNames(serviceName, namespace)[2]!;
  return manageCertificates({
    identity,
    store: secretStore(kubeConfig, namespace, secretName),
    webhooks: webhookCaBundles(kubeConfig, webhookConfigurationName),
    servedFingerprints: async () =>
      servedFingerprints(await readyReplicas(kubeConfig, namespace, serviceName), servername),
    isLeader,
    logger,
  });
}
