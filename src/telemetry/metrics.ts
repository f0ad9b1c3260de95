// The one Prometheus registry. Each area defines its own metrics next to its code and registers
// them here, so /metrics serves everything from one place.

import { collectDefaultMetrics, Registry } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
