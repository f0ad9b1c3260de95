// The CVM transform: the user's pod -> the pod we admit, in the configured form. Pure and
// deterministic: the input is never modified, the output depends only on (pod, config).

import type { V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { formOf } from "./forms/index.js";
import type { TransformResult } from "./transform-result.js";

export function transformPod(pod: V1Pod, config: Config): TransformResult {
  return formOf(config).transform(pod, config);
}
