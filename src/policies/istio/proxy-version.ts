// The Istio proxy version, read from its image reference (docs/istio.md): the tag of
// `<hub>/proxyv2:<tag>` starts with the release (`1.20.3-distroless`, `1.11.2-asm.17-distroless`,
// `1.12-debug`). A digest or a tag without a release (`latest`, `unittest`) tells nothing.

export const UNKNOWN_VERSION = "unknown";

const RELEASE_TAG = /^(\d+)\.(\d+)(?:\.(\d+))?(?:$|[-+_])/;

/** "1.20.3", "1.12", or UNKNOWN_VERSION. */
export function proxyVersionFromImage(image: string | undefined): string {
  if (!image) return UNKNOWN_VERSION;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  // A digest pins content, not a release: the tag beside it may name anything.
  if (lastSegment.includes("@")) return UNKNOWN_VERSION;
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return UNKNOWN_VERSION;
  const match = RELEASE_TAG.exec(lastSegment.slice(colon + 1));
  if (!match) return UNKNOWN_VERSION;
  return match
    .slice(1)
    .filter((part) => part !== undefined)
    .map(Number)
    .join(".");
}
