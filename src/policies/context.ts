// Everything a policy may read. Policies never do I/O of their own beyond the ClusterView,
// whose cache misses fall back to one bounded direct read (cluster/).

import type { V1Pod } from "@kubernetes/client-node";
import type { AdmissionRequest } from "../kube/admission-review.js";
import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import type { Decision } from "./decision.js";

export interface PolicyContext {
  request: AdmissionRequest;
  view: ClusterView;
  config: Config;
}

/** One step of the pod mutation chain: takes the pod as the previous step left it. */
export type PodMutator = (pod: V1Pod, ctx: PolicyContext) => Decision;

/** One independent check of the validating webhook; results are combined (every reason kept). */
export type Validator = (ctx: PolicyContext) => Decision | Promise<Decision>;
