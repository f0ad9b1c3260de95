// Everything `serve` runs against a live cluster, composed once: the watch caches, leader
// election, the node labeller on the leader, and the denial Event recorder. The certificates
// code can run its own leader-only work through `elector` (onStartedLeading/onStoppedLeading).

import type { Config } from "../../config/config.js";
import type { Logger } from "../../telemetry/logger.js";
import { EventRecorder } from "./events.js";
import type { KubeClient } from "./kube-client.js";
import { labelNodesWhileLeading } from "./labeller.js";
import { leaderElectorFromConfig, SoleLeader, type Leadership } from "./lease.js";
import { LiveClusterView } from "./live-view.js";
import { defaultKubeClient } from "./snapshot.js";

export interface LiveCluster {
  view: LiveClusterView;
  /** The Lease election, or (leaderElection.enabled: false) this replica leading alone. */
  elector: Leadership;
  recorder: EventRecorder;
  client: KubeClient;
  /** Stops watches and leadership (releasing the lease); call on shutdown. */
  stop(): Promise<void>;
}

export function startLiveCluster(config: Config, logger: Logger, client = defaultKubeClient()): LiveCluster {
  const view = new LiveClusterView(client, config, { logger });
  const elector = config.leaderElection.enabled
    ? leaderElectorFromConfig(client, config, logger)
    : new SoleLeader();
  const detach = labelNodesWhileLeading(elector, view, client, config, logger);
  const recorder = new EventRecorder(client, 100, logger);
  view.start();
  elector.start();
  return {
    view,
    elector,
    recorder,
    client,
    async stop() {
      detach();
      await elector.stop();
      await view.stop();
      await recorder.flush();
    },
  };
}

export { EventRecorder } from "./events.js";
export { LeaderElector, SoleLeader, type Leadership } from "./lease.js";
export { LiveClusterView } from "./live-view.js";
