"""Wolfe's min-norm point of the members' convex hull: the 'fair' centre, and the test of
whether an open hemisphere holds the members, which the 'total' centre needs too."""

from __future__ import annotations

import numpy as np

from rendezvous.geo.meeting_point.sphere import FloatArray

# A min-norm point shorter than this means the origin is (numerically) on the hull: no open
# hemisphere holds all the members, the smallest enclosing cap is a hemisphere or more.
_HEMISPHERE_EPS = 1e-10
_MAX_WOLFE_ITERATIONS = 200


# --- 'fair': the min-norm point of the hull (Wolfe) ---------------------------------------------


def _min_norm_point(points: FloatArray) -> FloatArray:
    """Wolfe's algorithm: the point of the convex hull of the columns closest to the origin."""
    support = [0]
    lam = np.ones(1)
    x = points[:, 0].copy()
    for _ in range(_MAX_WOLFE_ITERATIONS):
        if x @ x <= _HEMISPHERE_EPS**2:
            break
        dots = x @ points
        j = int(np.argmin(dots))
        # x.x - min x.p bounds how far |x| is above the optimum: zero up to rounding means done.
        if x @ x - dots[j] <= 1e-15 or j in support:
            break
        support.append(j)
        lam = np.append(lam, 0.0)
        while True:  # Wolfe's minor cycle: move towards the affine min-norm point of the support
            alpha = _affine_min_norm(points[:, support].T)
            if np.all(alpha > 0):
                lam = alpha
                break
            # Go as far towards alpha as the simplex allows; the vertex that stops us leaves.
            negative = np.flatnonzero(alpha <= 0)
            gaps = lam[negative] - alpha[negative]
            ratios = np.divide(lam[negative], gaps, out=np.zeros_like(gaps), where=gaps > 0)
            step = float(ratios.min())
            lam = step * alpha + (1 - step) * lam
            lam[negative[int(np.argmin(ratios))]] = 0.0
            keep = lam > 1e-15
            support = [s for s, kept in zip(support, keep, strict=True) if kept]
            lam = lam[keep] / lam[keep].sum()
            if len(support) == 1:
                break
        previous, x = x, points[:, support] @ lam
        if x @ x >= previous @ previous:  # rounding stalled the descent: x is as good as it gets
            break
    return x


def _affine_min_norm(support: FloatArray) -> FloatArray:
    """Barycentric weights of the point of the support's affine hull nearest the origin."""
    if len(support) == 1:
        return np.ones(1)
    base = support[0]
    edges = support[1:] - base
    # min |base + edges^T beta| by least squares (the normal equations would square the condition)
    beta = np.linalg.lstsq(edges.T, -base, rcond=None)[0]
    return np.concatenate(([1.0 - beta.sum()], beta))
