// What the transform's checks collect: every reason to deny (each naming the field it is about)
// and every lossy-but-safe change to tell the user about. Nothing stops at the first problem.

export interface Findings {
  reasons: string[];
  warnings: string[];
}

export function newFindings(): Findings {
  return { reasons: [], warnings: [] };
}
