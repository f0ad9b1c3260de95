// The version of this build: package.json's, read at start (dist/ and src/ both sit one level
// below it, and the image copies it next to dist/).

import { readFileSync } from "node:fs";

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
