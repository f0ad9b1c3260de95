// The effective configuration, as every module reads it. Its shape mirrors CONFIG_SCHEMA.

export type Form = "envbox" | "runtimeclass";
export type IstioPolicy = "optOut" | "reroute" | "warn" | "deny";

export interface Config {
  form: Form;
  supervisor: {
    image: string;
    imagePullPolicy: "Always" | "IfNotPresent" | "Never";
    imagePullSecrets: string[];
    dockerVolumeSizeLimit: string;
  };
  runtimeClass: { name: string; userNamespaces: "hostUsers" | "crioAnnotation" };
  kernel: { minimum: string };
  nodes: { labels: boolean };
  labels: { podOptIn: string; namespaceOptIn: string; nodeEligible: string };
  istio: { policy: IstioPolicy; badVersions: string; proxyImageRepositories: string[] };
  access: { breakGlassGroups: string[]; baselineVersion: string };
  server: {
    port: number;
    host: string;
    certsDir: string;
    maxConnections: number;
    maxConnectionsPerClient: number;
    /** After SIGTERM: seconds of accepting with /readyz 503 before the drain. */
    drainDelaySeconds: number;
  };
  cluster: { source: string; readTimeoutMs: number };
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    namespace: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
  };
  certificates: {
    mode: "selfManaged" | "certManager" | "files";
    serviceName: string;
    namespace: string;
    secretName: string;
    webhookConfigurationName: string;
  };
  logging: { level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" };
}
