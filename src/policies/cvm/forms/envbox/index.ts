// The envbox form (docs/cvm-form.md): a privileged cvm-supervisor runs envbox, which starts the
// user's container as its inner container under sysbox.

import { SUPERVISOR_NAME } from "../../names.js";
import type { CvmForm } from "../form.js";
import { deriveEnvbox } from "./derive.js";
import { transformEnvbox } from "./transform.js";

export const ENVBOX_FORM: CvmForm = {
  transform: transformEnvbox,
  derive: deriveEnvbox,
  podSecurity: {
    level: "privileged",
    why: "the envbox supervisor is a privileged container with hostPath volumes",
  },
  nodesNeed: "nothing installed on the nodes: envbox brings sysbox along",
  usesRuntimeClass: false,
  // envbox pinned the inner container's CPU and memory at start: a new limit on the supervisor
  // would either not reach the user's container or starve the privileged daemons around it.
  fixedLimits: {
    container: SUPERVISOR_NAME,
    why: "envbox fixed the inner container's CPU and memory (CODER_CPUS, CODER_MEMORY) when it started",
  },
};
