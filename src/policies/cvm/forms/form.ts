// What a CVM form is: everything the rest of the project needs to know about one way of turning a
// user's pod into a CVM. A form lives in its own folder next to this file and is listed once in
// forms/index.ts; nothing outside the folder branches on a form's name.

import type { V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../../config/config.js";
import type { TransformResult } from "../transform-result.js";

/** Pod Security levels, loosest first. */
export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** The user's pod read back from a pod in the form, or why it cannot be. */
export type Derived = { pod: V1Pod; reasons: [] } | { pod?: undefined; reasons: string[] };

/** A container whose requests may be resized in place but whose limits the form fixed when the pod started. */
export interface FixedLimits {
  container: string;
  /** Why its limits cannot change, in words for the denial. */
  why: string;
}

export interface CvmForm {
  /** The user's pod -> the pod we admit. Pure: the input is never modified. */
  transform(pod: V1Pod, config: Config): TransformResult;
  /** The inverse: a user's pod that `transform` turns into this one (how a claimed form is proved). */
  derive(pod: V1Pod, config: Config): Derived;
  /** The strictest Pod Security level the form's pods pass, and why no stricter one. */
  podSecurity: { level: PodSecurityLevel; why: string };
  /** What the nodes need besides the kernel, in words for advice ("sysbox installed on the nodes"). */
  nodesNeed: string;
  /** Whether the form's pods run under config.runtimeClass.name (doctor checks the RuntimeClass exists). */
  usesRuntimeClass: boolean;
  /**
   * In-place resize (pods/resize): the one container that carries the user's resources, when the
   * form fixed its limits at start; a pod that has it may resize nothing else. Undefined: the
   * user's own containers are resized as they are.
   */
  fixedLimits: FixedLimits | undefined;
}
