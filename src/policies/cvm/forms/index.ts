// The registry of CVM forms. The config schema's `form` enum and this table are tied by the
// compiler: a name in one and not the other does not build (Record<Form, CvmForm>).

import type { Config, Form } from "../../../config/config.js";
import { ENVBOX_FORM } from "./envbox/index.js";
import type { CvmForm } from "./form.js";
import { RUNTIMECLASS_FORM } from "./runtimeclass/index.js";

export const FORMS: Readonly<Record<Form, CvmForm>> = {
  envbox: ENVBOX_FORM,
  runtimeclass: RUNTIMECLASS_FORM,
};

/** The configured form. A name the registry does not know is a configuration error, never a default. */
export function formOf(config: Pick<Config, "form">): CvmForm {
  const form = Object.hasOwn(FORMS, config.form) ? FORMS[config.form] : undefined;
  if (form === undefined)
    throw new Error(
      `form: unknown CVM form ${JSON.stringify(config.form)} (known: ${Object.keys(FORMS).join(", ")})`,
    );
  return form;
}

export type { CvmForm, Derived, FixedLimits, PodSecurityLevel } from "./form.js";
export { POD_SECURITY_LEVELS } from "./form.js";
