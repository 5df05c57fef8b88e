/**
 * The vocabulary of `validateConfig`: its stable problem codes with their severities, and the
 * `Report` callback through which every check states a problem.
 */
import type { ValidationSeverity } from "./types.js";

/**
 * The stable codes of `validateConfig`'s problems. Errors make `ok` false; warnings do not.
 *
 * | code | severity |
 * | --- | --- |
 * | `duplicate-name`, `invalid-name`, `unknown-dependency`, `self-dependency`, `cycle` | error |
 * | `startup-order` (a dependency starts later), `startup-order-unknown`, `startup-order-duplicate` | error |
 * | `startup-order-missing` (sequential start-up only) | warning |
 * | `profile-unknown-daemon` | error |
 * | `profile-missing-dependency` (starting the profile pulls it in) | warning |
 * | `config-key-without-default` (a later layer must supply it) | warning |
 * | `invalid-config-default`, `unknown-daemon-config`, `duplicate-job-type`, `disabled-dependency` | error |
 * | `deprecated`, `depends-on-deprecated`, `event-never-emitted`, `event-never-subscribed`, `cluster-scope-store` | warning |
 * | `invalid-spec` (an entry of `daemons` that is not a spec) | error |
 * | `internal` (a check itself threw; never expected) | error |
 */
export const VALIDATION_CODES = [
  "duplicate-name",
  "invalid-name",
  "unknown-dependency",
  "self-dependency",
  "cycle",
  "startup-order",
  "startup-order-unknown",
  "startup-order-duplicate",
  "startup-order-missing",
  "profile-unknown-daemon",
  "profile-missing-dependency",
  "invalid-config-default",
  "config-key-without-default",
  "unknown-daemon-config",
  "duplicate-job-type",
  "disabled-dependency",
  "deprecated",
  "depends-on-deprecated",
  "event-never-emitted",
  "event-never-subscribed",
  "cluster-scope-store",
  "invalid-spec",
  "internal",
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

/** How a check states one problem: severity, code, subject (if any) and the one-line message. */
export type Report = (
  severity: ValidationSeverity,
  code: ValidationCode,
  subject: string | undefined,
  message: string,
) => void;
