// The effective configuration, as every module reads it. Its shape mirrors CONFIG_SCHEMA.

export type Form = "envbox" | "runtimeclass";
export type FeatureName = "tun" | "fuse" | "disableIdmappedMount";
export type IstioPolicy = "optOut" | "reroute" | "warn" | "deny";

export interface Config {
  form: Form;
  supervisor: {
    image: string;
    imagePullPolicy: "Always" | "IfNotPresent" | "Never";
    imagePullSecrets: string[];
    dockerVolumeSizeLimit: string;
    features: Record<FeatureName, { default: boolean; allowed: boolean }>;
    dockerBridgeCIDR: string;
  };
  runtimeClass: { name: string; userNamespaces: "hostUsers" | "crioAnnotation" };
  kernel: { minimum: string };
  nodes: { labels: boolean };
  labels: { podOptIn: string; namespaceOptIn: string; nodeEligible: string };
  istio: { policy: IstioPolicy; badVersions: string };
  access: { breakGlassGroups: string[] };
  server: { port: number; host: string; certsDir: string; maxConnections: number };
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
