package dev.mtl.weighting;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Small dense linear algebra over T x T Gramians (T = number of tasks): products, a linear solver,
 * a symmetric eigendecomposition and an exact convex QP solver. Sizes are tiny, so clarity and
 * exactness matter more than speed.
 */
final class Matrices {
  private Matrices() {}

  static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  static double[] times(double[][] m, double[] x) {
    double[] out = new double[m.length];
    for (int i = 0; i < m.length; i++) {
      out[i] = dot(m[i], x);
    }
    return out;
  }

  /** xᵀ M x. */
  static double quadratic(double[][] m, double[] x) {
    return dot(x, times(m, x));
  }

  /** Each task gradient's norm, the square roots of the Gramian's diagonal; null when one is zero (no direction). */
  static double[] gradientNorms(double[][] gramian) {
    double[] norm = new double[gramian.length];
    for (int t = 0; t < norm.length; t++) {
      norm[t] = Math.sqrt(gramian[t][t]);
      if (!(norm[t] > 0)) {
        return null;
      }
    }
    return norm;
  }

  static double[] filled(int n, double value) {
    double[] out = new double[n];
    Arrays.fill(out, value);
    return out;
  }

  static double trace(double[][] m) {
    double sum = 0;
    for (int i = 0; i < m.length; i++) {
      sum += m[i][i];
    }
    return sum;
  }

  static double frobenius(double[][] m) {
    double sum = 0;
    for (double[] row : m) {
      sum += dot(row, row);
    }
    return Math.sqrt(sum);
  }

  static double[][] scaled(double[][] m, double factor) {
    double[][] out = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      out[i] = new double[m[i].length];
      for (int j = 0; j < m[i].length; j++) {
        out[i][j] = m[i][j] * factor;
      }
    }
    return out;
  }

  /** M + ridge · I. */
  static double[][] plusIdentity(double[][] m, double ridge) {
    double[][] out = scaled(m, 1);
    for (int i = 0; i < m.length; i++) {
      out[i][i] += ridge;
    }
    return out;
  }

  /** The Gramian's entries made exactly symmetric (engines compute them in float32). */
  static double[][] symmetric(double[][] g) {
    double[][] out = new double[g.length][g.length];
    for (int i = 0; i < g.length; i++) {
      for (int j = 0; j < g.length; j++) {
        out[i][j] = (g[i][j] + g[j][i]) / 2;
      }
    }
    return out;
  }

  /** Solves A x = b by Gaussian elimination with partial pivoting; null if A is singular. */
  static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    double[][] m = new double[n][n + 1];
    double scale = 0;
    for (int i = 0; i < n; i++) {
      System.arraycopy(a[i], 0, m[i], 0, n);
      m[i][n] = b[i];
      for (int j = 0; j < n; j++) {
        scale = Math.max(scale, Math.abs(a[i][j]));
      }
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int row = col + 1; row < n; row++) {
        if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
          pivot = row;
        }
      }
      if (Math.abs(m[pivot][col]) <= 1e-13 * Math.max(scale, Double.MIN_NORMAL)) {
        return null;
      }
      double[] swap = m[col];
      m[col] = m[pivot];
      m[pivot] = swap;
      for (int row = col + 1; row < n; row++) {
        double f = m[row][col] / m[col][col];
        for (int k = col; k <= n; k++) {
          m[row][k] -= f * m[col][k];
        }
      }
    }
    double[] x = new double[n];
    for (int row = n - 1; row >= 0; row--) {
      double sum = m[row][n];
      for (int k = row + 1; k < n; k++) {
        sum -= m[row][k] * x[k];
      }
      x[row] = sum / m[row][row];
    }
    return x;
  }

  /** Eigenvalues (descending) and matching unit eigenvectors (columns) of a symmetric matrix. */
  record Eigen(double[] values, double[][] vectors) {}

  /** Cyclic Jacobi rotations: exact to rounding for the small symmetric matrices used here. */
  static Eigen symmetricEigen(double[][] s) {
    int n = s.length;
    double[][] a = symmetric(s);
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) {
      v[i][i] = 1;
    }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          off += a[p][q] * a[p][q];
        }
      }
      if (off <= 1e-30 * Math.max(1e-300, frobenius(a) * frobenius(a))) {
        break;
      }
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          if (a[p][q] == 0) {
            continue;
          }
          double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double c = 1 / Math.sqrt(t * t + 1);
          double sn = t * c;
          for (int k = 0; k < n; k++) {
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - sn * akq;
            a[k][q] = sn * akp + c * akq;
          }
          for (int k = 0; k < n; k++) {
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - sn * aqk;
            a[q][k] = sn * apk + c * aqk;
          }
          for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - sn * vkq;
            v[k][q] = sn * vkp + c * vkq;
          }
        }
      }
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(a[y][y], a[x][x]));
    double[] values = new double[n];
    double[][] vectors = new double[n][n];
    for (int j = 0; j < n; j++) {
      values[j] = a[order[j]][order[j]];
      for (int i = 0; i < n; i++) {
        vectors[i][j] = v[i][order[j]];
      }
    }
    return new Eigen(values, vectors);
  }

  /**
   * Minimises {@code ½ xᵀQx + cᵀx} subject to {@code x ≥ lower} and, if {@code sumToOne},
   * {@code Σx = 1}, for positive semi-definite Q: the primal active-set method (Nocedal and Wright,
   * Numerical Optimization, Algorithm 16.3). A ridge of 1e-12 · trace keeps every subproblem
   * solvable when task gradients are linearly dependent; it moves the answer by about that much.
   */
  static double[] minimizeQuadratic(double[][] q, double[] c, double[] lower, boolean sumToOne) {
    boolean[] inSum = new boolean[c.length];
    Arrays.fill(inSum, sumToOne);
    return minimizeQuadratic(q, c, lower, inSum);
  }

  /**
   * As {@link #minimizeQuadratic(double[][], double[], double[], boolean)}, with {@code Σ x_i = 1}
   * over the coordinates where {@code inSum} is true only (none true: no equality); the others are
   * bounded below only and must not make the objective unbounded.
   */
  static double[] minimizeQuadratic(double[][] q, double[] c, double[] lower, boolean[] inSum) {
    int n = c.length;
    boolean sumToOne = false;
    for (boolean b : inSum) {
      sumToOne |= b;
    }
    double[][] qr = plusIdentity(symmetric(q), 1e-12 * Math.max(trace(q) / n, Double.MIN_NORMAL));
    double[] x = lower.clone();
    boolean[] fixed = new boolean[n];
    Arrays.fill(fixed, true);
    if (sumToOne) {
      // Start at the vertex with the smallest objective; Σx = 1 needs lower to sum to at most 1.
      double slack = 1;
      for (int i = 0; i < n; i++) {
        slack -= inSum[i] ? lower[i] : 0;
      }
      int best = -1;
      for (int i = 0; i < n; i++) {
        if (inSum[i] && (best < 0
            || qr[i][i] / 2 * slack * slack + c[i] * slack < qr[best][best] / 2 * slack * slack + c[best] * slack)) {
          best = i;
        }
      }
      x[best] += slack;
      fixed[best] = false;
    }
    for (int iteration = 0; iteration < 50 * n + 100; iteration++) {
      double[] gradient = times(qr, x);
      for (int i = 0; i < n; i++) {
        gradient[i] += c[i];
      }
      double gradientScale = 1 + Arrays.stream(gradient).map(Math::abs).max().orElse(0);
      Step step = equalityStep(qr, gradient, fixed, inSum, sumToOne);
      double stepSize = Arrays.stream(step.direction()).map(Math::abs).max().orElse(0);
      if (stepSize <= 1e-14 * (1 + Arrays.stream(x).map(Math::abs).max().orElse(0))) {
        int release = -1;
        double most = -1e-12 * gradientScale;
        for (int i = 0; i < n; i++) {
          double multiplier = gradient[i] - (inSum[i] ? step.multiplier() : 0);
          if (fixed[i] && multiplier < most) {
            most = multiplier;
            release = i;
          }
        }
        if (release < 0) {
          return x;
        }
        fixed[release] = false;
        continue;
      }
      double alpha = 1;
      int blocking = -1;
      for (int i = 0; i < n; i++) {
        double p = step.direction()[i];
        if (!fixed[i] && p < 0) {
          double limit = (lower[i] - x[i]) / p;
          if (limit < alpha) {
            alpha = limit;
            blocking = i;
          }
        }
      }
      for (int i = 0; i < n; i++) {
        x[i] += alpha * step.direction()[i];
      }
      if (blocking >= 0) {
        x[blocking] = lower[blocking];
        fixed[blocking] = true;
      }
    }
    return x;
  }

  private record Step(double[] direction, double multiplier) {}

  /** The step to the minimum with fixed coordinates held, and the multiplier of Σx = 1 (0 without it). */
  private static Step equalityStep(double[][] q, double[] gradient, boolean[] fixed, boolean[] inSum, boolean sumToOne) {
    int n = gradient.length;
    int[] free = IntStream.range(0, n).filter(i -> !fixed[i]).toArray();
    double[] direction = new double[n];
    if (free.length == 0) {
      return new Step(direction, 0);
    }
    int m = free.length + (sumToOne ? 1 : 0);
    double[][] a = new double[m][m];
    double[] b = new double[m];
    for (int r = 0; r < free.length; r++) {
      for (int k = 0; k < free.length; k++) {
        a[r][k] = q[free[r]][free[k]];
      }
      b[r] = -gradient[free[r]];
      if (sumToOne && inSum[free[r]]) {
        a[r][free.length] = -1;
        a[free.length][r] = 1;
      }
    }
    double[] solution = solve(a, b);
    if (solution == null) {
      return new Step(direction, 0);
    }
    for (int r = 0; r < free.length; r++) {
      direction[free[r]] = solution[r];
    }
    return new Step(direction, sumToOne ? solution[free.length] : 0);
  }

  /** Euclidean projection onto the probability simplex (Duchi et al., ICML 2008). */
  static double[] projectToSimplex(double[] v) {
    int n = v.length;
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    double cumulative = 0;
    double theta = 0;
    for (int i = n - 1; i >= 0; i--) {
      cumulative += sorted[i];
      double t = (cumulative - 1) / (n - i);
      if (i == 0 || sorted[i - 1] <= t) {
        theta = t;
        break;
      }
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = Math.max(v[i] - theta, 0);
    }
    return out;
  }
}
