"""BENCH score_kernel: a 12-indicator points table on N in-memory rows, and the peer libraries.

Our kernel (numpy ``searchsorted`` + ``take``, categories pre-coded) computes per-indicator points,
block sums, score, veto, grade and credit subject; in the same run the same table is applied by the
peer scorecard libraries that are installed (the optional ``bench`` group: toad, scorecardpy,
optbinning), and the scores are checked equal. scorecardpy is slow (~34 k rows/s): it is timed on
``--peer-rows`` rows and reported as rows per second like the others.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
from common import bench_line, peak_rss_mb

warnings.simplefilter("ignore")

# 12 indicators of HH-DEFAULT (bins closed on the left, so that the peers' [a, b) bins agree).
NUMERIC: dict[str, tuple[list[float], list[float]]] = {
    "head_age": ([18, 25, 56, 66], [0, 3, 5, 3, 1]),
    "workers": ([1, 2, 3], [0, 2, 3, 4]),
    "residence_years": ([5], [1, 3]),
    "net_income_wan": ([3, 5, 10, 20], [2, 4, 6, 8, 10]),
    "net_assets_wan": ([20, 50, 100], [2, 4, 6, 8]),
    "debt_ratio_pct": ([30, 50, 70], [7, 5, 2, 0]),
    "land_mu": ([10, 50], [1, 2, 3]),
    "bank_account": ([1], [0, 3]),
}
CATEGORIES: dict[str, dict[str, float]] = {
    "head_education": {"college": 3, "senior": 2, "junior": 1, "primary": 0},
    "income_stability": {"stable": 5, "short": 3, "none": 1},
    "loan_record": {"good": 12, "none": 8, "minor": 4, "bad": 0},
    "fee_record": {"on_time": 5, "occasional": 2, "persistent": 0},
}
FEATURES = list(NUMERIC) + list(CATEGORIES)


def check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"bench_score_kernel: {message}")


def spec() -> dict[str, Any]:
    from creditvillage.scoring import defaults

    indicators = [
        {
            "code": name,
            "source_field": name,
            "kind": "bins",
            "bins": [{"upper": u, "points": p} for u, p in zip([*edges, None], points, strict=True)],
        }
        for name, (edges, points) in NUMERIC.items()
    ] + [
        {"code": name, "source_field": name, "kind": "categories", "categories": cats}
        for name, cats in CATEGORIES.items()
    ]
    return {
        "model": "BENCH-12",
        "version": 1,
        "combine": "sum",
        "blocks": [{"code": "all", "cap": 1000, "indicators": indicators}],
        "vetoes": [{"code": "negative_list", "source_field": "veto_negative_list"}],
        "scheme": defaults.scheme_spec("tianchang"),
    }


def data(n: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    raw: dict[str, np.ndarray] = {
        "head_age": rng.integers(16, 90, n).astype(np.float64),
        "workers": rng.integers(0, 6, n).astype(np.float64),
        "residence_years": rng.integers(0, 60, n).astype(np.float64),
        "net_income_wan": rng.gamma(2.0, 5.0, n),
        "net_assets_wan": rng.gamma(2.0, 30.0, n),
        "debt_ratio_pct": rng.uniform(0, 120, n),
        "land_mu": rng.gamma(1.5, 12.0, n),
        "bank_account": rng.integers(0, 2, n).astype(np.float64),
    }
    codes = {name: rng.integers(0, len(cats), n) for name, cats in CATEGORIES.items()}
    veto = rng.random(n) < 0.002
    return raw, codes, veto


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer-rows", type=int, default=100_000, help="rows for scorecardpy (slow)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditvillage.settings")
    import django

    django.setup()
    from creditvillage.scoring import engine

    cm = engine.compile_spec(spec())
    raw, codes, veto = data(args.rows, 7)
    columns = {**raw, **codes}
    vetoes = {"negative_list": veto}

    def best(fn: Any) -> tuple[float, Any]:
        times, out = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    full_s, result = best(lambda: engine.kernel(cm, columns, vetoes))
    lean_s, lean = best(lambda: engine.score_columns(cm, columns, vetoes))
    check(np.array_equal(lean[0], result.total) and np.array_equal(lean[1], result.grade), "lean path differs")
    ours = full_s
    score = result.total / engine.CENT
    n = args.rows

    peers: dict[str, float] = {}
    import pandas as pd

    names = {name: np.array(list(cats)) for name, cats in CATEGORIES.items()}
    frame = pd.DataFrame({**raw, **{name: names[name][codes[name]] for name in CATEGORIES}})

    try:
        from toad.scorecard import ScoreCard

        card = ScoreCard()
        card.load(
            {
                **{
                    name: {
                        f"[{lo} ~ {hi})": p for lo, hi, p in zip(["-inf", *edges], [*edges, "inf"], points, strict=True)
                    }
                    for name, (edges, points) in NUMERIC.items()
                },
                **{name: dict(cats) for name, cats in CATEGORIES.items()},
            }
        )
        t = time.perf_counter()
        toad_score = np.asarray(card.predict(frame[FEATURES]), dtype=np.float64)
        peers["toad"] = time.perf_counter() - t
        check(np.allclose(toad_score, score), "toad disagrees")
    except ImportError:
        pass

    try:
        import pandas as pd
        import scorecardpy as scp

        m = min(args.peer_rows, n)
        cardp: dict[str, Any] = {"basepoints": pd.DataFrame({"variable": ["basepoints"], "bin": [None], "points": [0]})}
        for name, (edges, points) in NUMERIC.items():
            lows, highs = ["-inf", *map(float, edges)], [*map(float, edges), "inf"]
            cardp[name] = pd.DataFrame(
                {
                    "variable": name,
                    "bin": [f"[{lo},{hi})" for lo, hi in zip(lows, highs, strict=True)],
                    "points": points,
                }
            )
        for name, cats in CATEGORIES.items():
            cardp[name] = pd.DataFrame({"variable": name, "bin": list(cats), "points": list(cats.values())})
        t = time.perf_counter()
        sp = scp.scorecard_ply(frame.iloc[:m], cardp, only_total_score=True)
        elapsed = time.perf_counter() - t
        peers["scorecardpy"] = elapsed * n / m
        check(np.allclose(sp["score"].to_numpy(dtype=np.float64), score[:m]), "scorecardpy disagrees")
    except ImportError:
        pass

    try:
        peers.update(optbinning_peer(frame, score, n))
    except ImportError:
        pass

    fastest = min(peers.items(), key=lambda kv: kv[1]) if peers else ("none", float("nan"))
    bench_line(
        "score_kernel",
        rows=n,
        indicators=len(cm.indicators),
        seconds=ours,
        per_second=n / ours,
        lean_seconds=lean_s,
        lean_per_second=n / lean_s,
        **{f"{name}_per_second": n / s for name, s in peers.items()},
        fastest_peer=fastest[0],
        ratio=fastest[1] / ours if peers else 0.0,
        equal="yes",
        peak_rss_mb=peak_rss_mb(),
    )


def optbinning_peer(frame: Any, score: np.ndarray, n: int) -> dict[str, float]:
    import os

    """optbinning scores through a fitted Scorecard; its bins are fixed to ours (user splits) and its
    fitted points, rounded to integers, become the table our kernel is checked against."""
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    from creditvillage.scoring import engine

    splits = {name: np.array(edges, dtype=float) for name, (edges, _p) in NUMERIC.items()}
    splits.update({name: [[c] for c in cats] for name, cats in CATEGORIES.items()})
    process = BinningProcess(
        FEATURES,
        categorical_variables=list(CATEGORIES),
        binning_fit_params={
            name: {"user_splits": splits[name], "user_splits_fixed": [True] * len(splits[name])} for name in FEATURES
        },
    )
    sample = frame.iloc[:50_000]
    card = Scorecard(binning_process=process, estimator=LogisticRegression(), scaling_method=None)
    card.fit(sample[FEATURES], (score[:50_000] >= np.median(score)).astype(int))
    t = time.perf_counter()
    theirs = card.score(frame[FEATURES])
    elapsed = time.perf_counter() - t
    # Their own table applied by our kernel must give their scores.
    table = card.table(style="detailed")
    if os.environ.get("BENCH_DEBUG"):
        print(table[["Variable", "Bin", "Points"]].to_string())
    spec_blocks = []
    for name in FEATURES:
        rows = table[(table["Variable"] == name) & ~table["Bin"].isin(["Special", "Missing"])]
        points = rows["Points"].tolist()
        if name in NUMERIC:
            uppers = [str(b).split(",")[1].strip(" )]") for b in rows["Bin"]]
            edges = [float(u) for u in uppers[:-1]]
            spec_blocks.append(
                {
                    "code": name,
                    "source_field": name,
                    "kind": "bins",
                    "bins": [{"upper": u, "points": p} for u, p in zip([*edges, None], points, strict=True)],
                }
            )
        else:
            cats = {str(b[0]) if len(b) else "": p for b, p in zip(rows["Bin"], points, strict=True)}
            spec_blocks.append({"code": name, "source_field": name, "kind": "categories", "categories": cats})
    cm = engine.compile_spec(
        {**spec(), "blocks": [{"code": "all", "cap": 100_000, "floor": -100_000, "indicators": spec_blocks}]}
    )
    raw = {name: frame[name].to_numpy(dtype=np.float64) for name in NUMERIC}
    codes = {
        ind.code: engine.encode_category(ind, frame[ind.code].to_numpy())
        for ind in cm.indicators
        if ind.kind == "categories"
    }
    ours = engine.score_columns(cm, {**raw, **codes}, {})[0] / engine.CENT
    offset = np.asarray(theirs, dtype=np.float64) - ours  # their intercept, constant
    if float(offset.max() - offset.min()) > 0.01 * len(FEATURES):
        raise AssertionError("optbinning disagrees")
    return {"optbinning": elapsed}


if __name__ == "__main__":
    main()
