// Self-managed certificates: the leader keeps CA and serving certificate in a Secret, keeps
// caBundle of both webhook configurations equal to the Secret's bundle (repairing drift, e.g.
// after `helm upgrade` or a manual edit), and walks the rotation steps of rotation.ts. Replicas,
// the leader included, serve the Secret through its mounted volume and hot reload (reload.ts).

import type { Logger } from "../telemetry/logger.js";
import type { ServingIdentity } from "./generate.js";
import { parseCertificate, sameCertificates, splitPemBundle } from "./inspect.js";
import { recordExpiry } from "./metrics.js";
import { nextCertificates, type RotationStep, type StoredCertificates } from "./rotation.js";

/** Where the certificates live (a Secret in the release namespace). */
export interface CertificateStore {
  read(): Promise<StoredCertificates | undefined>;
  write(certificates: StoredCertificates): Promise<void>;
}

/** caBundle of every webhook in both configurations named cvm-admission. */
export interface WebhookCaBundles {
  /** The decoded PEM bundle of each webhook entry ("" where unset). */
  read(): Promise<string[]>;
  patch(bundle: string): Promise<void>;
}

export interface SelfManagedOptions {
  identity: ServingIdentity;
  store: CertificateStore;
  webhooks: WebhookCaBundles;
  /** Fingerprints of what the ready replicas serve; undefined when unknown. */
  servedFingerprints(): Promise<string[] | undefined>;
  /** From the leader election; only the leader writes. */
  isLeader(): boolean;
  logger: Logger;
  /** How often the leader checks (rotation deadlines are days apart; drift repair wants minutes). */
  intervalMs?: number;
  now?: () => Date;
}

export interface SelfManagedCertificates {
  /** One pass: the steps taken (empty when not the leader or nothing changed). */
  reconcile(): Promise<RotationStep[]>;
  close(): void;
}

/** At most this many steps per pass: created/caAdded, then servingIssued, then oldCaRemoved. */
const MAX_STEPS_PER_PASS = 4;

const trusts = (bundles: string[], bundle: string) =>
  bundles.length > 0 && bundles.every((b) => b !== "" && sameCertificates(b, bundle));

export function manageCertificates(options: SelfManagedOptions): SelfManagedCertificates {
  const { identity, store, webhooks, logger, intervalMs = 60_000, now = () => new Date() } = options;

  const pass = async (): Promise<RotationStep[]> => {
    const steps: RotationStep[] = [];
    let stored = await store.read();
    for (let i = 0; i < MAX_STEPS_PER_PASS; i++) {
      const bundles = await webhooks.read();
      const multipleCas = stored !== undefined && splitPemBundle(stored.caBundle).length > 1;
      const result = await nextCertificates(stored, identity, {
        now: now(),
        webhooksTrustBundle: stored !== undefined && trusts(bundles, stored.caBundle),
        servedFingerprints: multipleCas ? await options.servedFingerprints() : undefined,
      });
      if (result.step !== "unchanged") {
        await store.write(result.certificates);
        steps.push(result.step);
        logger.info({ step: result.step, reason: result.reason }, "self-managed certificates: rotation step");
      }
      stored = result.certificates;
      if (!trusts(bundles, stored.caBundle)) {
        await webhooks.patch(stored.caBundle);
        logger.info({ webhooks: bundles.length }, "caBundle written to the webhook configurations");
      }
      if (result.step === "unchanged") break;
    }
    if (stored) recordExpiry("ca", parseCertificate(stored.issuer.certPem));
    return steps;
  };

  let running: Promise<RotationStep[]> | undefined;
  const reconcile = async (): Promise<RotationStep[]> => {
    if (!options.isLeader()) return [];
    // A pass already under way covers this request.
    running ??= pass().finally(() => (running = undefined));
    return running;
  };
  const tick = () =>
    void reconcile().catch((err: Error) =>
      logger.warn({ err: err.message }, "self-managed certificates: pass failed; retrying next interval"),
    );
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return { reconcile, close: () => clearInterval(timer) };
}
