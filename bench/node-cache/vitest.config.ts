// Runs the node-cache benchmark case (not part of `npm test`): `npm run bench` starts it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["bench/node-cache/*.case.ts"],
    testTimeout: 170_000,
    hookTimeout: 60_000,
  },
});
