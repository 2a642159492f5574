import type { ScanResult } from './lambdaScan.js';

/** The lines drawn through a λ scan's t* (one value per scanned λ, in the scan's order). */
export interface TStarFitLines {
  /** The least-squares fit of log t* (best test MSE) against log λ, through the rows whose t* is interior. */
  mse: number[];
  /** The same for t* of the best test accuracy. */
  acc: number[];
  /** The slope −1 reference through the first row: t* = λ₀·t*₀/λ. */
  reference: number[];
}

/**
 * The fitted lines of the t*-against-λ plot: with the scan's least-squares slope s (scan.slopeMse, scan.slopeAcc),
 * the line exp(ȳ + s·(log λ − x̄)) through the mean (x̄, ȳ) of log λ and log t* over the interior rows, drawn at every
 * scanned λ; and the slope −1 reference.
 */
export function tStarFitLines(scan: ScanResult): TStarFitLines {
  const lam = scan.rows.map((r) => r.lambda);
  const fitLine = (slope: number, key: 'tStarMse' | 'tStarAcc'): number[] => {
    const pts = scan.rows.filter((r) => !(key === 'tStarMse' ? r.mseAtEdge : r.accAtEdge));
    const mx = pts.reduce((s, r) => s + Math.log(r.lambda), 0) / pts.length;
    const my = pts.reduce((s, r) => s + Math.log(r[key]), 0) / pts.length;
    return lam.map((l) => Math.exp(my + slope * (Math.log(l) - mx)));
  };
  return {
    mse: fitLine(scan.slopeMse.slope, 'tStarMse'),
    acc: fitLine(scan.slopeAcc.slope, 'tStarAcc'),
    reference: lam.map((l) => (scan.rows[0].tStarMse * scan.rows[0].lambda) / l),
  };
}
