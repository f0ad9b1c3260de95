// Kubernetes resource quantities, parsed exactly (BigInt fractions, no floating point), so
// CODER_CPUS and CODER_MEMORY equal what the downward API would have given: ceil(value).
// Grammar: k8s.io/apimachinery/pkg/api/resource (signed number, then a binary-SI, decimal-SI or
// decimal-exponent suffix).

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|([numkMGTPE]))?$/;

const BINARY_EXPONENT: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_EXPONENT: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** An exact value: numerator / denominator, denominator > 0. */
export interface Exact {
  numerator: bigint;
  denominator: bigint;
}

/** Parses a quantity; undefined when it is not one. Exponents are bounded so no input can hang us. */
export function parseQuantity(text: string): Exact | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign, number, binary, exponent, decimal] = match;
  const [whole = "", fraction = ""] = number!.split(".");
  let numerator = BigInt((whole || "0") + fraction) * (sign === "-" ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  let power10 = 0;
  if (binary) numerator *= 2n ** BigInt(BINARY_EXPONENT[binary]!);
  if (decimal) power10 = DECIMAL_EXPONENT[decimal]!;
  if (exponent) power10 = Number(exponent.slice(1));
  if (!Number.isSafeInteger(power10) || Math.abs(power10) > 1000) return undefined;
  if (power10 >= 0) numerator *= 10n ** BigInt(power10);
  else denominator *= 10n ** BigInt(-power10);
  return { numerator, denominator };
}

/** The smallest integer >= the value, as a decimal string (what the downward API reports with divisor 1). */
export function ceilQuantity(value: Exact): string {
  const { numerator: n, denominator: d } = value;
  const quotient = n / d;
  const exact = quotient * d === n;
  return (exact || n < 0n ? quotient : quotient + 1n).toString();
}

/** True when both strings are quantities of equal value ("1Gi" and "1024Mi"). */
export function sameQuantity(a: string, b: string): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x.numerator * y.denominator === y.numerator * x.denominator;
}
