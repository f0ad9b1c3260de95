// The CVM transform: the user's pod -> the pod we admit, in the configured form. Pure and
// deterministic: the input is never modified, the output depends only on (pod, config).

import type { V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { transformEnvbox } from "./forms/envbox/transform.js";
import { transformRuntimeClass } from "./forms/runtimeclass/runtimeclass.js";
import type { TransformResult } from "./transform-result.js";

export function transformPod(pod: V1Pod, config: Config): TransformResult {
  return config.form === "runtimeclass" ? transformRuntimeClass(pod, config) : transformEnvbox(pod, config);
}
