// Where the admission layer reports a denied pod request, so the cluster can show it on the pod
// (src/cluster/live/events.ts writes Events; without a live cluster there is nobody to tell).

export interface Denial {
  namespace: string;
  podName: string;
  message: string;
  dryRun?: boolean;
}

/** Must never throw or block: the answer to the apiserver does not wait for it. */
export interface DenialRecorder {
  recordDenial(denial: Denial): void;
}
