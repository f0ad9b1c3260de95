// The live cluster view alone in its own process (built code from dist/), so the node-cache case
// measures the view's memory and CPU without the fake apiserver's, which runs in the parent.
//   node --expose-gc bench/node-cache/view-process.mjs KUBECONFIG
// Commands on stdin, one JSON per line; answers on stdout, one JSON per line:
//   {"cmd":"list"}            -> {"listMs","heapDeltaBytes","nodes"} once the first list has synced
//   {"cmd":"watch","count":N} -> {"ready":true} at once, then {"watchEventsMs","watchEventsCpuMs"}
//                                when N node changes have been applied (timed from the first one)
//   {"cmd":"stop"}            -> exits
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../dist/cluster/live/kube-client.js";
import { LiveClusterView } from "../../dist/cluster/live/live-view.js";
import { defaultConfig } from "../../dist/config/load.js";

const gc = globalThis.gc;
if (typeof gc !== "function") throw new Error("run with --expose-gc");
const heapAfterGc = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const answer = (value) => process.stdout.write(JSON.stringify(value) + "\n");

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(process.argv[2]);
let view;

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  if (command.cmd === "list") {
    // A first view, thrown away, so code compiled on first use is not counted per node.
    const warmUp = new LiveClusterView(new KubeClient(kubeConfig), defaultConfig());
    warmUp.start();
    while (!warmUp.isSynced()) await sleep(2);
    await warmUp.stop();
    const heapBefore = heapAfterGc();
    const started = process.hrtime.bigint();
    view = new LiveClusterView(new KubeClient(kubeConfig), defaultConfig());
    view.start();
    while (!view.isSynced()) await sleep(2);
    const listMs = Number(process.hrtime.bigint() - started) / 1e6;
    answer({ listMs, heapDeltaBytes: heapAfterGc() - heapBefore, nodes: [...view.nodes()].length });
  } else if (command.cmd === "watch") {
    let seen = 0;
    let started;
    let cpuBefore;
    const unsubscribe = view.onNodeChange(() => {
      if (seen++ === 0) {
        started = process.hrtime.bigint();
        cpuBefore = process.cpuUsage();
      }
      if (seen === command.count) {
        const cpu = process.cpuUsage(cpuBefore);
        unsubscribe();
        answer({
          watchEventsMs: Number(process.hrtime.bigint() - started) / 1e6,
          watchEventsCpuMs: (cpu.user + cpu.system) / 1000,
        });
      }
    });
    answer({ ready: true });
  } else if (command.cmd === "stop") {
    await view?.stop();
    process.exit(0);
  }
}
