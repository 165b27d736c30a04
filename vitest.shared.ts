// Shared vitest settings: tests import workspace packages from their TypeScript sources (the "source"
// export condition), so a change in core is seen by every package's tests without a rebuild.
import type { UserConfig } from "vitest/config";

export const shared: UserConfig = {
  resolve: { conditions: ["source", "import", "module", "default"] },
  ssr: { resolve: { conditions: ["source", "import", "module", "default"], externalConditions: ["source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
};
