// `cvm-admission check-node [--kernel STRING] [--os NAME] [--os-image NAME] [--config F]`: the kernel verdict for a
// kernelVersion and operatingSystem as a node would report them, or for this machine (`uname -r`,
// and its /etc/os-release for the soft warnings). Exit 0 eligible, 1 not.

import { readFileSync } from "node:fs";
import { platform, release } from "node:os";
import { kernelFloor, kernelFloorNote } from "../cluster/kernel-floor.js";
import { judgeKernel, type NodeOsInfo } from "../cluster/kernel.js";
import { defineCommand } from "./args.js";
import { CONFIG_FLAG, configOfFlag } from "./flags.js";

/** This machine as the kubelet would report it in status.nodeInfo. */
function thisMachine(): NodeOsInfo {
  const os = platform() === "win32" ? "windows" : platform();
  let osImage = "";
  try {
    osImage = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch {
    // no os-release (not Linux, or a minimal image): the verdict does not need it
  }
  return { operatingSystem: os, kernelVersion: release(), osImage };
}

export const checkNodeCommand = defineCommand(
  {
    name: "check-node",
    description: "Judge a kernel as a node reports it (this machine by default): can it run CVMs?",
    usage: "[flags]",
    flags: {
      kernel: {
        type: "string",
        value: "STRING",
        help: "a node's status.nodeInfo.kernelVersion (default: uname -r)",
      },
      os: {
        type: "string",
        value: "NAME",
        help: "its operatingSystem (default: this machine's; empty is Linux)",
      },
      "os-image": { type: "string", value: "NAME", help: "its osImage, for the softer sysbox warnings" },
      config: CONFIG_FLAG,
    },
    examples: [
      "cvm-admission check-node",
      "cvm-admission check-node --kernel 5.15.0-1057-azure --os-image 'Ubuntu 22.04.4 LTS'",
    ],
    exitCodes: {
      0: "eligible",
      1: "not eligible (below the minimum, not Linux, unparseable)",
      2: "usage error",
    },
  },
  async (values, io) => {
    const config = configOfFlag(values.config);
    // An explicit --kernel '' is judged as given (unparseable), never replaced by this machine's.
    const base: NodeOsInfo =
      values.kernel === undefined
        ? thisMachine()
        : { kernelVersion: values.kernel, operatingSystem: "", osImage: "" };
    const info: NodeOsInfo = {
      ...base,
      ...(values.os === undefined ? {} : { operatingSystem: values.os }),
      ...(values["os-image"] === undefined ? {} : { osImage: values["os-image"] }),
    };
    const judgement = judgeKernel(info, kernelFloor(config));
    io.stdout(`${judgement.verdict}: ${judgement.reason}\n`);
    const note = kernelFloorNote(config);
    if (note !== undefined) io.stdout(`note: ${note}\n`);
    for (const warning of judgement.warnings) io.stdout(`warning: ${warning}\n`);
    return judgement.verdict === "eligible" ? 0 : 1;
  },
);
