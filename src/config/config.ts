// The effective configuration, as every module reads it: the type CONFIG_SCHEMA describes (one
// definition; loading fills every default, so every key is present).

import type { FromSchema } from "./from-schema.js";
import type { CONFIG_SCHEMA } from "./schema.js";

export type Config = FromSchema<typeof CONFIG_SCHEMA>;
export type Form = Config["form"];
export type IstioPolicy = Config["istio"]["policy"];
export type FeatureName = keyof Config["supervisor"]["features"];
