/** A matrix value as written in the spec. */
export type MatrixValue = string | number | boolean;

/** The cartesian product of a matrix, in the order written: `{a: [1, 2], b: [x]}` → `[{a:1,b:x}, {a:2,b:x}]`. */
export function expandMatrix(matrix: Record<string, MatrixValue[]> | undefined): Record<string, MatrixValue>[] {
  if (!matrix) return [{}];
  let combos: Record<string, MatrixValue>[] = [{}];
  for (const [name, values] of Object.entries(matrix)) {
    const next: Record<string, MatrixValue>[] = [];
    for (const combo of combos) for (const v of values) next.push({ ...combo, [name]: v });
    combos = next;
  }
  return combos;
}

/** How many shots a matrix expands to, without building them (for the max_shots cap). */
export function matrixSize(matrix: Record<string, MatrixValue[]> | undefined): number {
  if (!matrix) return 1;
  return Object.values(matrix).reduce((n, values) => n * values.length, 1);
}
