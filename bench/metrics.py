"""Indicator engine speed: 20,000 generated school sections through metrics.evaluate() beside a
plain-Python loop computing the same coefficients. Prints figures; no pass/fail here.

Targets (issue 3): engine ≤ 1 s on this machine and ≥ 5× faster than the loop.
    .venv/bin/python bench/metrics.py [N]
"""
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.demo import synthetic_rows  # noqa: E402
from app.indicators.metrics import evaluate, plain_python_evaluate  # noqa: E402
from app.indicators.school_data import find_warnings, frame_from_rows  # noqa: E402
from app.standards import get_standard  # noqa: E402


def generate(n, seed=1):
    rng = random.Random(seed)
    kinds = ["小学"] * 5 + ["初中"] * 3 + ["九年一贯制学校", "教学点"]
    schools, sections = [], 0
    while sections < n:
        i = len(schools)
        kind = rng.choice(kinds)
        sections += 2 if kind == "九年一贯制学校" else 1
        schools.append((f"9{i:09d}", f"学校{i}", kind, rng.choice(["城区", "镇区", "乡村"]), "9000000000" if kind == "教学点" else None))
    rows = synthetic_rows(schools, rng)[:n]
    return rows


def best_of(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rows = generate(n)
    frame = frame_from_rows(rows)
    records = frame.to_dict("records")
    for standard_id in ("quality-2017", "basic-2012"):
        std = get_standard(standard_id)
        ev = evaluate(frame, std)

        def loop():
            return plain_python_evaluate(records, std)

        expected, loop_schools, _ = loop()
        for sec, per in expected.items():
            for code, (_mean, cv) in per.items():
                got = ev.sections[sec].indicators[code].cv
                assert abs(got - cv) < 1e-9 * max(1, abs(cv)), (sec, code, got, cv)
        assert sum(1 for s in loop_schools if s[4]) == int(ev.schools["ok"].fillna(False).sum()) if ev.rule_codes else True
        e_best, e_med = best_of(lambda: evaluate(frame, std), 5)
        l_best, l_med = best_of(loop, 3)
        print(f"{standard_id}: {n} school sections ({len(ev.schools)} in scope, {len(ev.excluded)} excluded)")
        print(f"  engine (pandas/numpy, incl. scope + school rule): best {e_best:.3f} s, median {e_med:.3f} s")
        print(f"  plain-Python loop (the same work):                best {l_best:.3f} s, median {l_med:.3f} s")
        print(f"  speed-up: {l_best / e_best:.1f}×   (targets: engine ≤ 1 s, ≥ 5×)")
    w_best, _ = best_of(lambda: find_warnings(frame, get_standard("quality-2017")), 3)
    print(f"data warnings over {n} rows: {w_best:.3f} s")


if __name__ == "__main__":
    main()
