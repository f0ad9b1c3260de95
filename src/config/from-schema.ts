// The TypeScript type a JSON Schema describes, for the subset CONFIG_SCHEMA uses (objects with
// properties, enums, strings, integers, booleans, arrays). The configuration's type is derived
// from its schema with this, so the two cannot disagree.

export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: "object"; readonly properties: infer P }
    ? { -readonly [K in keyof P]: FromSchema<P[K]> }
    : S extends { readonly type: "array"; readonly items: infer I }
      ? FromSchema<I>[]
      : S extends { readonly type: "string" }
        ? string
        : S extends { readonly type: "integer" | "number" }
          ? number
          : S extends { readonly type: "boolean" }
            ? boolean
            : never;
