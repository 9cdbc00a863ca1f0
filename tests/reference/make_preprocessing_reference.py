#!/usr/bin/python3
"""NumPy reference values for NetGen's data preprocessing (NetGen.Data: MeanSubtraction, Standardizer,
MinMaxScaler, Pca, ZcaWhitening).

Run from the repository root (needs NumPy; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_preprocessing_reference.py

Writes tests/NetGen.Runtime.Tests/Reference/preprocessing.json. The datasets are float32 (as NetGen reads them) and
every statistic is computed from them in float64, following the CS231n notes (Neural Networks Part 2, data
preprocessing):

    X -= np.mean(X, axis=0)                  # mean subtraction
    X /= np.std(X, axis=0)                   # normalisation (population std, ddof=0)
    cov = np.dot(X.T, X) / X.shape[0]        # covariance of the centred data (divided by N, not N - 1)
    U, S, V = np.linalg.svd(cov)             # here: np.linalg.eigh, sorted by decreasing eigenvalue
    Xrot = np.dot(X, U)                      # decorrelate; [:, :k] reduces to k dimensions (PCA)
    Xwhite = Xrot / np.sqrt(S + 1e-5)        # PCA whitening; ZCA whitening rotates back: Xwhite · Uᵀ

Each eigenvector's sign is fixed as NetGen fixes it: its largest-magnitude component is positive. The "train" set
fits every transform; the "test" set (shifted and rescaled, so its own statistics differ) is only transformed with
the training statistics. The script is deterministic (fixed seed); values are written as repr floats.
"""

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Runtime.Tests" / "Reference" / "preprocessing.json"
SEED = 20261201
ROWS, TEST_ROWS, FEATURES, K, EPS = 500, 100, 6, 3, 1e-5


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def fix_signs(u):
    """Columns of u are eigenvectors: make each one's largest-magnitude component positive (the first on a tie)."""
    u = u.copy()
    for j in range(u.shape[1]):
        i = int(np.argmax(np.abs(u[:, j])))
        if u[i, j] < 0:
            u[:, j] = -u[:, j]
    return u


def main():
    rng = np.random.default_rng(SEED)

    # Six independent Gaussian sources with different scales, mixed by a random matrix: correlated features whose
    # covariance has well separated eigenvalues (none tiny, so whitening with ε = 1e-5 stays close to the identity).
    scales = np.array([4.0, 3.0, 2.0, 1.5, 1.0, 0.7])
    mixing = np.eye(FEATURES) + 0.5 * rng.normal(size=(FEATURES, FEATURES))
    offset = rng.normal(scale=3.0, size=FEATURES)
    train = ((rng.normal(size=(ROWS, FEATURES)) * scales) @ mixing + offset).astype(np.float32)
    test = ((rng.normal(size=(TEST_ROWS, FEATURES)) * scales * 1.7) @ mixing + offset - 2.0).astype(np.float32)

    x = train.astype(np.float64)
    t = test.astype(np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)  # ddof=0
    lo, hi = x.min(axis=0), x.max(axis=0)

    xc = x - mean
    cov = xc.T @ xc / ROWS
    assert np.allclose(cov, np.cov(x, rowvar=False, ddof=0))
    eigenvalues, u = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, u = eigenvalues[order], fix_signs(u[:, order])
    assert np.all(np.diff(eigenvalues) < 0) and eigenvalues[-1] > 0.01, eigenvalues
    assert np.allclose(u @ np.diag(eigenvalues) @ u.T, cov)
    ratio = eigenvalues / eigenvalues.sum()

    def pca(a, whiten):
        rot = (a - mean) @ u[:, :K]
        return rot / np.sqrt(eigenvalues[:K] + EPS) if whiten else rot

    zca_matrix = u @ np.diag(1.0 / np.sqrt(eigenvalues + EPS)) @ u.T

    def zca(a):
        return (a - mean) @ zca_matrix

    # Whitened training data: covariance diag(λ / (λ + ε)) ≈ I for PCA, U diag(λ / (λ + ε)) Uᵀ ≈ I for ZCA.
    for white in (pca(x, True), zca(x)):
        c = white.T @ white / ROWS
        assert np.allclose(c, np.eye(c.shape[0]), atol=1e-3)

    # Images: 24 rows of [3, 4, 5], per-channel statistics over rows × H × W.
    channel_scale = np.array([1.0, 5.0, 0.2]).reshape(1, 3, 1, 1)
    channel_offset = np.array([0.5, -3.0, 10.0]).reshape(1, 3, 1, 1)
    images = (rng.normal(size=(24, 3, 4, 5)) * channel_scale + channel_offset).astype(np.float32)
    im = images.astype(np.float64)
    im_mean = im.mean(axis=(0, 2, 3))
    im_std = im.std(axis=(0, 2, 3))
    im_standardized = (im - im_mean.reshape(1, 3, 1, 1)) / im_std.reshape(1, 3, 1, 1)

    reference = {
        "seed": SEED,
        "rows": ROWS,
        "test_rows": TEST_ROWS,
        "features": FEATURES,
        "k": K,
        "epsilon": EPS,
        "train": flat(train),
        "test": flat(test),
        "mean": flat(mean),
        "std": flat(std),
        "min": flat(lo),
        "max": flat(hi),
        "covariance": flat(cov),
        "eigenvalues": flat(eigenvalues),
        "eigenvectors": flat(u),  # [features, features], eigenvector j in column j
        "explained_variance_ratio": flat(ratio),
        "mean_subtracted_test": flat(t - mean),
        "standardized_train": flat((x - mean) / std),
        "standardized_test": flat((t - mean) / std),
        "scaled_train": flat(2.0 * (x - lo) / (hi - lo) - 1.0),
        "scaled_test": flat(2.0 * (t - lo) / (hi - lo) - 1.0),
        "pca_train": flat(pca(x, False)),
        "pca_test": flat(pca(t, False)),
        "pca_whitened_train": flat(pca(x, True)),
        "pca_whitened_test": flat(pca(t, True)),
        "zca_train": flat(zca(x)),
        "zca_test": flat(zca(t)),
        "images": {
            "shape": [3, 4, 5],
            "rows": 24,
            "data": flat(images),
            "mean": flat(im_mean),
            "std": flat(im_std),
            "standardized": flat(im_standardized),
        },
    }

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(reference, f)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
