// The kubelet gives every container Docker-link variables for the Services of its namespace
// (pkg/kubelet/envvars in Kubernetes: NAME_SERVICE_HOST, NAME_SERVICE_PORT[_PORTNAME], NAME_PORT,
// NAME_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR], NAME being the Service name upper-cased with '-'
// as '_'). A Service called cvm-admission or cvm-admission-* therefore puts CVM_ADMISSION_*
// variables into our environment. They are told apart from settings by name AND value together:
// only a name with a service-link suffix whose value has the form the kubelet writes there is one
// (README.md, Configuration); anything else under our prefix is a setting and is checked as one.

import { isIP, isIPv6 } from "node:net";

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

function isPort(value: string, expected?: string): boolean {
  if (!/^[1-9]\d{0,4}$/.test(value) || Number(value) > 65535) return false;
  return expected === undefined || value === expected;
}

/** proto://IP:PORT as the kubelet joins it (an IPv6 address in brackets). */
function isLinkUrl(value: string, protocol?: string, port?: string): boolean {
  const match = /^([a-z]+):\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)$/.exec(value);
  if (!match) return false;
  const [, proto = "", host = "", hostPort = ""] = match;
  const ip = host.startsWith("[") ? host.slice(1, -1) : host;
  const ipOk = host.startsWith("[") ? isIPv6(ip) : isIP(ip) === 4;
  return (
    PROTOCOLS.has(proto) && (protocol === undefined || proto === protocol) && ipOk && isPort(hostPort, port)
  );
}

/** Name suffix -> does the value have the kubelet's form for it. Tried in order; one match is enough. */
const SHAPES: ReadonlyArray<[RegExp, (value: string, groups: string[]) => boolean]> = [
  [/_SERVICE_HOST$/, (v) => isIP(v) !== 0],
  [/_SERVICE_PORT(_[A-Z0-9_]+)?$/, (v) => isPort(v)],
  [/_PORT$/, (v) => isLinkUrl(v)],
  [/_PORT_(\d+)_(TCP|UDP|SCTP)$/, (v, [port, proto]) => isLinkUrl(v, proto!.toLowerCase(), port)],
  [/_PORT_\d+_(TCP|UDP|SCTP)_PROTO$/, (v, [proto]) => v === proto!.toLowerCase()],
  [/_PORT_(\d+)_(?:TCP|UDP|SCTP)_PORT$/, (v, [port]) => isPort(v, port)],
  [/_PORT_\d+_(?:TCP|UDP|SCTP)_ADDR$/, (v) => isIP(v) !== 0],
];

/** True when `name=value` is a variable the kubelet writes for a Service. */
export function isServiceLinkVariable(name: string, value: string): boolean {
  return SHAPES.some(([suffix, valueFits]) => {
    const match = suffix.exec(name);
    return match !== null && valueFits(value, match.slice(1) as string[]);
  });
}
