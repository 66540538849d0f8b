"""A closed-form rigid fit against the SVD one: CPU and how far outputs move (issue 16).

Not used by the pipeline. ``lbprun.kinematics.jcs.fit_rigid`` takes the SVD of every frame's
3x3 cross-dispersion matrix (LAPACK ``dgesdd``, ~2.6 us a frame): on the Running Injury
Clinic cluster trial its 11 full-length fits are half of the extraction's CPU, and no
byte-identical reformulation of an SVD exists. This script measures the candidate follow-up,
Horn's (1987) unit-quaternion fit with the largest eigenvalue found by Newton's method on
the characteristic quartic (Theobald 2005, "QCP") and the eigenvector from the adjugate of
``N - lambda I``, all vectorised over frames (no per-frame LAPACK call), frames it cannot
settle falling back to the SVD.
The RIC clusters are planar (third singular value of the marker layout ~0 mm), where a
polar decomposition of the cross-dispersion (Newton polar) is undefined but Horn's fit is
not.

For every real running file of ``bench_trials.TRIALS`` it extracts the trial twice, with
``fit_rigid`` as it is and with the candidate in its place, and prints the CPU of each and
the largest difference over every number of ``trial.json``, ``stances.csv``,
``strides.csv`` and ``waveforms.npz``; then the two fits' CPU and rotation difference on
every cluster of the files that have clusters.

Usage: python bench/bench_rigid_fit.py [--repeats N]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_trials import DEFAULT_CORPUS, TRIALS

jcs = importlib.import_module("lbprun.kinematics.jcs")
clusters = importlib.import_module("lbprun.kinematics.clusters")
trial = importlib.import_module("lbprun.trial")
c3d = importlib.import_module("lbprun.c3d")

SVD_FIT = jcs.fit_rigid  # the pipeline's, kept before _use() swaps it
NEWTON_STEPS = 6  # quadratic convergence from the upper bound: 3-5 steps on the corpus


def _adjugate(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adjugate and determinant of a (n, 4, 4) stack, elementwise (2x2 sub-determinants)."""
    m = [[b[:, i, j] for j in range(4)] for i in range(4)]
    s0 = m[0][0] * m[1][1] - m[1][0] * m[0][1]
    s1 = m[0][0] * m[1][2] - m[1][0] * m[0][2]
    s2 = m[0][0] * m[1][3] - m[1][0] * m[0][3]
    s3 = m[0][1] * m[1][2] - m[1][1] * m[0][2]
    s4 = m[0][1] * m[1][3] - m[1][1] * m[0][3]
    s5 = m[0][2] * m[1][3] - m[1][2] * m[0][3]
    c5 = m[2][2] * m[3][3] - m[3][2] * m[2][3]
    c4 = m[2][1] * m[3][3] - m[3][1] * m[2][3]
    c3 = m[2][1] * m[3][2] - m[3][1] * m[2][2]
    c2 = m[2][0] * m[3][3] - m[3][0] * m[2][3]
    c1 = m[2][0] * m[3][2] - m[3][0] * m[2][2]
    c0 = m[2][0] * m[3][1] - m[3][0] * m[2][1]
    det = s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0
    adj = np.empty(b.shape)
    adj[:, 0, 0] = m[1][1] * c5 - m[1][2] * c4 + m[1][3] * c3
    adj[:, 0, 1] = -m[0][1] * c5 + m[0][2] * c4 - m[0][3] * c3
    adj[:, 0, 2] = m[3][1] * s5 - m[3][2] * s4 + m[3][3] * s3
    adj[:, 0, 3] = -m[2][1] * s5 + m[2][2] * s4 - m[2][3] * s3
    adj[:, 1, 0] = -m[1][0] * c5 + m[1][2] * c2 - m[1][3] * c1
    adj[:, 1, 1] = m[0][0] * c5 - m[0][2] * c2 + m[0][3] * c1
    adj[:, 1, 2] = -m[3][0] * s5 + m[3][2] * s2 - m[3][3] * s1
    adj[:, 1, 3] = m[2][0] * s5 - m[2][2] * s2 + m[2][3] * s1
    adj[:, 2, 0] = m[1][0] * c4 - m[1][1] * c2 + m[1][3] * c0
    adj[:, 2, 1] = -m[0][0] * c4 + m[0][1] * c2 - m[0][3] * c0
    adj[:, 2, 2] = m[3][0] * s4 - m[3][1] * s2 + m[3][3] * s0
    adj[:, 2, 3] = -m[2][0] * s4 + m[2][1] * s2 - m[2][3] * s0
    adj[:, 3, 0] = -m[1][0] * c3 + m[1][1] * c1 - m[1][2] * c0
    adj[:, 3, 1] = m[0][0] * c3 - m[0][1] * c1 + m[0][2] * c0
    adj[:, 3, 2] = -m[3][0] * s3 + m[3][1] * s1 - m[3][2] * s0
    adj[:, 3, 3] = m[2][0] * s3 - m[2][1] * s1 + m[2][2] * s0
    return adj, det


def _rotation(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) of unit quaternions (n, 4), scalar first."""
    w, qx, qy, qz = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    rot = np.empty((len(q), 3, 3))
    rot[:, 0, 0] = w * w + qx * qx - qy * qy - qz * qz
    rot[:, 0, 1] = 2 * (qx * qy - w * qz)
    rot[:, 0, 2] = 2 * (qx * qz + w * qy)
    rot[:, 1, 0] = 2 * (qx * qy + w * qz)
    rot[:, 1, 1] = w * w - qx * qx + qy * qy - qz * qz
    rot[:, 1, 2] = 2 * (qy * qz - w * qx)
    rot[:, 2, 0] = 2 * (qx * qz - w * qy)
    rot[:, 2, 1] = 2 * (qy * qz + w * qx)
    rot[:, 2, 2] = w * w - qx * qx - qy * qy + qz * qz
    return rot


def horn_fit(reference: np.ndarray, current: np.ndarray, /) -> tuple[np.ndarray, np.ndarray]:
    """``fit_rigid``'s rotation and translation by Horn's quaternion, vectorised (candidate).

    Frames whose Newton iteration has not settled after ``NEWTON_STEPS`` (deformed clusters,
    where the two largest eigenvalues come close) take the SVD.
    """
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref_mean = ref.mean(axis=0)
    cur_mean = cur.mean(axis=1)
    x = ref - ref_mean
    y = cur - cur_mean[:, None]
    s = np.einsum("mi,nmj->nij", x, y)  # s[a, b] = sum x_a y_b
    bad = ~np.isfinite(s).all(axis=(1, 2))
    s[bad] = np.eye(3)
    sxx, sxy, sxz = s[:, 0, 0], s[:, 0, 1], s[:, 0, 2]
    syx, syy, syz = s[:, 1, 0], s[:, 1, 1], s[:, 1, 2]
    szx, szy, szz = s[:, 2, 0], s[:, 2, 1], s[:, 2, 2]
    n = np.empty((len(s), 4, 4))
    n[:, 0, 0], n[:, 1, 1] = sxx + syy + szz, sxx - syy - szz
    n[:, 2, 2], n[:, 3, 3] = -sxx + syy - szz, -sxx - syy + szz
    n[:, 0, 1] = n[:, 1, 0] = syz - szy
    n[:, 0, 2] = n[:, 2, 0] = szx - sxz
    n[:, 0, 3] = n[:, 3, 0] = sxy - syx
    n[:, 1, 2] = n[:, 2, 1] = sxy + syx
    n[:, 1, 3] = n[:, 3, 1] = szx + sxz
    n[:, 2, 3] = n[:, 3, 2] = syz + szy
    # characteristic polynomial l^4 + c2 l^2 + c1 l + c0 (trace 0)
    c2 = -2.0 * np.einsum("nij,nij->n", s, s)
    c1 = -8.0 * (sxx * (syy * szz - syz * szy) - sxy * (syx * szz - syz * szx))
    c1 += -8.0 * sxz * (syx * szy - syy * szx)
    c0 = _adjugate(n)[1]
    lam = 0.5 * (np.einsum("mi,mi->", x, x) + np.einsum("nmi,nmi->n", y, y))  # upper bound
    for _ in range(NEWTON_STEPS):
        f = ((lam * lam + c2) * lam + c1) * lam + c0
        df = (4.0 * lam * lam + 2.0 * c2) * lam + c1
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(df != 0, f / df, 0.0)
        lam = lam - step
    settled = np.abs(step) <= 1e-12 * np.abs(lam)  # the last Newton step changed nothing
    b = n - lam[:, None, None] * np.eye(4)
    # eigenvector: the adjugate's column of largest norm (every column is parallel to it)
    adj = _adjugate(b)[0]
    norms = np.einsum("nij,nij->nj", adj, adj)
    best = norms.argmax(axis=1)
    q = adj[np.arange(len(s)), :, best]
    size = np.sqrt(norms[np.arange(len(s)), best])
    with np.errstate(divide="ignore", invalid="ignore"):
        q = q / size[:, None]
    rot = _rotation(q)
    # frames the quartic could not settle (no finite eigenvector): the SVD, as the pipeline
    unsettled = ~(np.isfinite(rot).all(axis=(1, 2)) & settled) & ~bad
    if unsettled.any():
        rot[unsettled] = SVD_FIT(ref, cur[unsettled])[0]
    rot[bad] = np.nan
    return rot, cur_mean - np.einsum("nij,j->ni", rot, ref_mean)


def _walk(value, flat: list) -> list:
    """Every number of a JSON value, depth first."""
    if isinstance(value, bool):
        return flat
    if isinstance(value, int | float):
        flat.append(float(value))
    elif isinstance(value, dict | list):
        for v in value.values() if isinstance(value, dict) else value:
            _walk(v, flat)
    return flat


def _floats(cells) -> list[float]:
    out = []
    for cell in cells:
        with contextlib.suppress(ValueError):
            out.append(float(cell))
    return out


def _numbers(folder: Path) -> dict[str, np.ndarray]:
    """Every number of a trial's four outputs, by file (CSV cells that parse as floats)."""
    out = {}
    flat = _walk(json.loads((folder / "trial.json").read_text()), [])
    out["trial.json"] = np.array(flat)
    for name in ("stances.csv", "strides.csv"):
        lines = (folder / name).read_text().splitlines()[1:]
        cells = _floats(cell for line in lines for cell in line.split(","))
        out[name] = np.array(cells)
    with np.load(folder / "waveforms.npz") as npz:
        out["waveforms.npz"] = np.concatenate([npz[k].ravel().astype(float) for k in npz.files])
    return out


def _extract(path: Path, static, out: Path, repeats: int) -> float:
    start = time.process_time()
    for _ in range(repeats):
        trial.extract(path, out, static=static, mass_kg=70.0)
    return (time.process_time() - start) / repeats


def _use(fit) -> None:
    jcs.fit_rigid = fit
    clusters.fit_rigid = fit


def _compare_outputs(corpus: Path, tmp: str, repeats: int) -> float:
    """Extract every file with each fit; print CPU and the largest output difference."""
    svd_fit, worst = SVD_FIT, 0.0
    for dynamic, static_rel in TRIALS:
        path = corpus / dynamic
        if not path.is_file():
            continue
        static = corpus / static_rel if static_rel else None
        folders, cpu = {}, {}
        for name, fit in (("svd", svd_fit), ("horn", horn_fit), ("svd2", svd_fit)):
            _use(fit)
            folders[name] = Path(tmp) / name / path.stem
            trial.extract(path, folders[name], static=static, mass_kg=70.0)  # warm-up
            cpu[name] = _extract(path, static, folders[name], repeats)
        _use(svd_fit)
        a, b = _numbers(folders["svd"]), _numbers(folders["horn"])
        diffs = []
        for key in a:
            same_nan = np.array_equal(np.isnan(a[key]), np.isnan(b[key]))
            d = np.nanmax(np.abs(a[key] - b[key]), initial=0.0) if same_nan else np.inf
            worst = max(worst, d)
            diffs.append(f"{key} {d:.1e}")
        print(
            f"{path.name}: extract CPU svd {1000 * min(cpu['svd'], cpu['svd2']):.1f} ms, "
            f"horn {1000 * cpu['horn']:.1f} ms; largest output difference: {', '.join(diffs)}"
        )
    return worst


def _compare_fits(corpus: Path, repeats: int) -> None:
    """CPU and largest rotation-element difference of the two fits on every cluster."""
    for dynamic, _ in TRIALS:
        path = corpus / dynamic
        if not path.is_file():
            continue
        data = c3d.load(path)
        for key, labels in clusters.cluster_labels(data.labels).items():
            cluster = np.stack([data.marker(label) for label in labels], axis=1)
            keep = np.isfinite(cluster).all(axis=(1, 2))
            if len(labels) < 3 or keep.sum() < 3:
                continue
            rots, times = {}, {}
            for name, fit in (("svd", SVD_FIT), ("horn", horn_fit)):
                start = time.process_time()
                for _ in range(repeats):
                    rots[name] = fit(cluster[keep][0], cluster)[0]
                times[name] = 1000 * (time.process_time() - start) / repeats
            print(
                f"  {path.name} {key} ({len(labels)} markers, {len(cluster)} frames): "
                f"svd {times['svd']:.2f} ms, horn {times['horn']:.2f} ms, largest rotation "
                f"element difference {np.nanmax(np.abs(rots['svd'] - rots['horn'])):.1e}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        worst = _compare_outputs(args.corpus, tmp, args.repeats)
    _compare_fits(args.corpus, args.repeats)
    print(f"RESULT horn vs svd rigid fit: largest output difference {worst:.1e} over the files")


if __name__ == "__main__":
    main()
