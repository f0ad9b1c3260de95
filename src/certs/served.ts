// Which certificate does each replica serve? The leader asks before it drops an old CA from the
// bundle: a TLS handshake per ready replica, reading the peer certificate (no verification: the
// point is to see what is served, whoever signed it).

import { connect } from "node:tls";

export interface ReplicaAddress {
  host: string;
  port: number;
}

/** The SHA-256 fingerprint of the certificate served at the address for that server name. */
export function servedFingerprint(
  address: ReplicaAddress,
  servername: string,
  timeoutMs = 3000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port, servername, rejectUnauthorized: false });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`TLS handshake with ${address.host}:${address.port} timed out`)),
    );
    socket.once("secureConnect", () => {
      const print = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(print);
    });
    socket.once("error", reject);
  });
}

/** Every replica's fingerprint, or undefined when there is no replica or one cannot be asked. */
export async function servedFingerprints(
  addresses: ReplicaAddress[],
  servername: string,
): Promise<string[] | undefined> {
  if (addresses.length === 0) return undefined;
  try {
    return await Promise.all(addresses.map((address) => servedFingerprint(address, servername)));
  } catch {
    return undefined;
  }
}
