// The environment the kubelet builds for a container, written from Kubernetes' pkg/kubelet
// (envvars.FromServices and kubelet_pods.go makeEnvironmentVariables): the service-link variables
// of the Services in the pod's namespace when enableServiceLinks is not false, those of the
// `kubernetes` Service of the default namespace always, then the container's own env (literal
// values and downward-API fieldRefs), which wins over a service link of the same name.

export interface ServicePortSpec {
  name?: string;
  port: number;
  protocol?: "TCP" | "UDP" | "SCTP";
}

export interface ServiceSpec {
  name: string;
  clusterIP: string;
  ports: ServicePortSpec[];
}

/** NAME-with-dashes -> NAME_WITH_DASHES, as the kubelet names service-link variables. */
function envName(name: string): string {
  return name.toUpperCase().replaceAll("-", "_");
}

/** Every variable the kubelet writes for one Service with a cluster IP. */
export function serviceLinkEnv(service: ServiceSpec): Record<string, string> {
  const prefix = envName(service.name);
  const host = service.clusterIP.includes(":") ? `[${service.clusterIP}]` : service.clusterIP;
  const env: Record<string, string> = {
    [`${prefix}_SERVICE_HOST`]: service.clusterIP,
    [`${prefix}_SERVICE_PORT`]: String(service.ports[0]!.port),
  };
  for (const port of service.ports) {
    if (port.name) env[`${prefix}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
  }
  service.ports.forEach((port, index) => {
    const protocol = port.protocol ?? "TCP";
    const url = `${protocol.toLowerCase()}://${host}:${port.port}`;
    if (index === 0) env[`${prefix}_PORT`] = url;
    const portPrefix = `${prefix}_PORT_${port.port}_${protocol}`;
    env[portPrefix] = url;
    env[`${portPrefix}_PROTO`] = protocol.toLowerCase();
    env[`${portPrefix}_PORT`] = String(port.port);
    env[`${portPrefix}_ADDR`] = service.clusterIP;
  });
  return env;
}

/** The apiserver's own Service, whose variables every container gets (enableServiceLinks or not). */
export const KUBERNETES_SERVICE: ServiceSpec = {
  name: "kubernetes",
  clusterIP: "10.96.0.1",
  ports: [{ name: "https", port: 443, protocol: "TCP" }],
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
  nodeName: string;
  podIP: string;
  serviceAccountName: string;
}

function fieldRef(path: string, pod: PodIdentity): string {
  const fields: Record<string, string> = {
    "metadata.name": pod.name,
    "metadata.namespace": pod.namespace,
    "metadata.uid": pod.uid,
    "spec.nodeName": pod.nodeName,
    "spec.serviceAccountName": pod.serviceAccountName,
    "status.podIP": pod.podIP,
  };
  const value = fields[path];
  if (value === undefined) throw new Error(`kubelet-env: fieldRef ${path} is not modelled here`);
  return value;
}

export interface ContainerEnvInput {
  container: { env?: EnvVar[]; envFrom?: unknown[] };
  pod: PodIdentity;
  /** Services of the pod's namespace (each with the cluster IP the apiserver gave it). */
  namespaceServices: ServiceSpec[];
  /** The pod's spec.enableServiceLinks; unset means true. */
  enableServiceLinks: boolean | undefined;
}

export function kubeletContainerEnv({
  container,
  pod,
  namespaceServices,
  enableServiceLinks,
}: ContainerEnvInput): Record<string, string> {
  if (container.envFrom !== undefined) throw new Error("kubelet-env: envFrom is not modelled here");
  const links = enableServiceLinks === false ? [] : namespaceServices;
  const env: Record<string, string> = {};
  for (const service of [...links, KUBERNETES_SERVICE]) Object.assign(env, serviceLinkEnv(service));
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.fieldRef)
      env[variable.name] = fieldRef(variable.valueFrom.fieldRef.fieldPath, pod);
    else if (variable.valueFrom)
      throw new Error(`kubelet-env: ${variable.name}: only fieldRef is modelled here`);
    else env[variable.name] = "";
  }
  return env;
}
