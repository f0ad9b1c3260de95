// The runtimeclass form (docs/cvm-form.md): the user's containers run as they are under the sysbox
// RuntimeClass, in a user namespace.

import type { CvmForm } from "../form.js";
import { deriveRuntimeClass, transformRuntimeClass } from "./runtimeclass.js";

export const RUNTIMECLASS_FORM: CvmForm = {
  transform: transformRuntimeClass,
  derive: (pod, config) => ({ pod: deriveRuntimeClass(pod, config), reasons: [] }),
  podSecurity: { level: "baseline", why: "the system container runs as root inside its user namespace" },
  nodesNeed: "sysbox installed on the nodes",
  usesRuntimeClass: true,
  fixedLimits: undefined,
};
