// Kernel verdicts (docs/nodes.md): can a node run CVMs? Linux first, then the
// leading major.minor of status.nodeInfo.kernelVersion compared numerically with the minimum.
// Never a string comparison ("5.10" < "5.4" lexically) and never semver: "6.12.55+",
// "5.15.107.1-2.cm2" and "3.10.0-1160.el7.x86_64" are not semver.

export type KernelVerdict = "eligible" | "below-minimum" | "not-linux" | "unparseable";

/** The nodeInfo fields a verdict reads (NodeFacts, V1NodeSystemInfo and the CLI all fit). */
export interface NodeOsInfo {
  operatingSystem?: string;
  kernelVersion?: string;
  osImage?: string;
}

export interface KernelJudgement {
  verdict: KernelVerdict;
  /** One sentence that quotes the raw value (truncated), for messages, labels and the CLI. */
  reason: string;
  /** Softer sysbox requirements (docs/nodes.md) the node may miss although it is eligible. */
  warnings: string[];
}

export interface KernelRelease {
  major: number;
  minor: number;
}

/** Real kernel strings are short printable ASCII; anything else is judged unparseable, not guessed at. */
const MAX_KERNEL_LENGTH = 256;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const LEADING_RELEASE = /^(\d{1,4})\.(\d{1,4})(?!\d)/;
const QUOTE_LIMIT = 64;

/** Shiftfs ships only with these; elsewhere sysbox needs ID-mapped mounts (5.12+). */
const SHIFTFS_DISTROS = /\b(ubuntu|debian|flatcar)\b/i;
const IDMAPPED_MOUNTS: KernelRelease = { major: 5, minor: 12 };
const BOTTLEROCKET = /bottlerocket/i;
const RHEL9 = /^Red Hat Enterprise Linux (?:release )?9\b/i;
const RHEL9_KERNEL = /\.el9(?:_\d+)?(?:\.|$)/;

/** The leading major.minor of a kernel release string, or undefined when it has none. */
export function parseKernelRelease(raw: string): KernelRelease | undefined {
  if (raw.length > MAX_KERNEL_LENGTH || !PRINTABLE_ASCII.test(raw)) return undefined;
  const match = LEADING_RELEASE.exec(raw);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function compareRelease(a: KernelRelease, b: KernelRelease): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** The configured minimum ("MAJOR.MINOR", checked by the config schema). */
export function parseMinimum(minimum: string): KernelRelease {
  const release = /^\d{1,4}\.\d{1,4}$/.test(minimum) ? parseKernelRelease(minimum) : undefined;
  if (release === undefined) throw new Error(`kernel minimum ${JSON.stringify(minimum)} is not MAJOR.MINOR`);
  return release;
}

/** The raw value, quoted and cut to a readable length (an absurd string must not flood a message). */
export function quoteRaw(raw: string): string {
  const cut = raw.length > QUOTE_LIMIT ? `${raw.slice(0, QUOTE_LIMIT)}...` : raw;
  return JSON.stringify(cut);
}

function softWarnings(info: NodeOsInfo, kernel: string, release: KernelRelease): string[] {
  const osImage = info.osImage ?? "";
  const shownImage = osImage === "" ? "not reported" : quoteRaw(osImage);
  const warnings: string[] = [];
  if (compareRelease(release, IDMAPPED_MOUNTS) < 0 && !SHIFTFS_DISTROS.test(osImage)) {
    warnings.push(
      `kernel ${release.major}.${release.minor} is below 5.12 and the OS image (${shownImage}) is not Ubuntu, ` +
        `Debian or Flatcar: sysbox needs shiftfs there, which only those ship, or ID-mapped mounts (kernel 5.12+)`,
    );
  }
  if (BOTTLEROCKET.test(osImage)) {
    warnings.push(
      `OS image ${shownImage} is Bottlerocket, which disables user namespaces by default ` +
        `(user.max_user_namespaces = 0); sysbox needs them`,
    );
  }
  if (RHEL9.test(osImage) || RHEL9_KERNEL.test(kernel)) {
    warnings.push(
      `RHEL 9 (OS image ${shownImage}, kernel ${quoteRaw(kernel)}) is supported by Sysbox-EE only`,
    );
  }
  return warnings;
}

/** Judges one node's nodeInfo against the minimum. A missing operatingSystem is Linux (docs/nodes.md). */
export function judgeKernel(info: NodeOsInfo, minimum: string): KernelJudgement {
  const floor = parseMinimum(minimum);
  const need = `CVMs need Linux with kernel ${minimum} or newer`;
  const os = info.operatingSystem ?? "";
  const kernel = info.kernelVersion ?? "";
  if (os !== "" && os.toLowerCase() !== "linux") {
    return {
      verdict: "not-linux",
      reason: `operating system ${quoteRaw(os)} (kernel ${quoteRaw(kernel)}) is not Linux; ${need}`,
      warnings: [],
    };
  }
  if (kernel === "") {
    return { verdict: "unparseable", reason: `no kernel version reported; ${need}`, warnings: [] };
  }
  const release = parseKernelRelease(kernel);
  if (release === undefined) {
    return {
      verdict: "unparseable",
      reason: `kernel version ${quoteRaw(kernel)} has no leading MAJOR.MINOR; ${need}`,
      warnings: [],
    };
  }
  const found = `kernel ${quoteRaw(kernel)} (${release.major}.${release.minor})`;
  if (compareRelease(release, floor) < 0) {
    return { verdict: "below-minimum", reason: `${found} is below the minimum ${minimum}`, warnings: [] };
  }
  return {
    verdict: "eligible",
    reason: `${found} meets the minimum ${minimum}`,
    warnings: softWarnings(info, kernel, release),
  };
}
