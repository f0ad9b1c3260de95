// What the kubelet does for the pod's `tls` volume (chart deployment.yaml: secret
// cvm-admission-tls, optional): writes each key of the Secret as a file of the directory. kube-mini
// has no kubelet, so the test projects the Secret the leader wrote, once it exists.

import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";

/** Writes every key of the Secret into `dir` (each file replaced atomically); false while it does not exist. */
export async function projectSecret(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  dir: string,
): Promise<boolean> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let data: Record<string, string>;
  try {
    data = (await core.readNamespacedSecret({ name, namespace })).data ?? {};
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
  for (const [key, value] of Object.entries(data)) {
    const temporary = join(dir, `.${key}.tmp`);
    writeFileSync(temporary, Buffer.from(value, "base64"), { mode: 0o600 });
    renameSync(temporary, join(dir, key));
  }
  return true;
}
