"""Extraction time against input size for pathological pages, next to an ordinary page.

    .venv/bin/python tests/bench/bench_extract_pathological.py [--sizes 0.5 1.2] [--repeat 2]
        [--corpus /work/shared/corpus/fundus-dev]

Every page is generated here (tests/pathological.py): one `<p>` with as many attributes as
fit, 200-attribute elements, deep nesting (closed and unclosed), one endless line, one
endless word, thousands of tables, of scripts and JSON-LD blocks, one huge JSON-LD list,
date-like strings everywhere, empty elements. For each shape and size: the time of
`extract(page, "html")` (best of --repeat), and the slope between the two sizes in seconds
per MB; `x normal` divides that slope by the ordinary page's, measured in the same run. A
slope that grows with size (the last column, time per MB at the large size over the small
one) would mean superlinear work: it stays near 1 when extraction is linear.

With --corpus (a folder of .html/.html.gz pages, read in place), it also prints the cost of
the bounding pre-pass on real pages: ms per page, and how many pages it changed.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.ingest.extraction import extract
from services.ingest.html_bounds import bound_html
from tests.pathological import SHAPES


def _best(page: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        extract(page, "html")
        best = min(best, time.perf_counter() - started)
    return best


def _corpus_cost(corpus: Path) -> None:
    paths = sorted(p for p in corpus.rglob("*") if p.name.endswith((".html", ".html.gz")))
    pages = [
        gzip.decompress(p.read_bytes()).decode(errors="replace")
        if p.suffix == ".gz"
        else p.read_text(errors="replace")
        for p in paths
    ]
    started = time.perf_counter()
    changed = sum(bound_html(page) != page for page in pages)
    prepass = time.perf_counter() - started
    started = time.perf_counter()
    for page in pages:
        extract(page, "html")
    whole = time.perf_counter() - started
    print(
        f"\n{corpus}: {len(pages)} pages; pre-pass {prepass / len(pages) * 1000:.1f} ms/page, "
        f"whole extraction {whole / len(pages) * 1000:.1f} ms/page "
        f"(pre-pass {prepass / whole:.1%} of it); pages changed by the pre-pass: {changed}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs=2, type=float, default=[0.5, 1.2], metavar="MB")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("shapes", nargs="*", help=f"default: all of {', '.join(SHAPES)}")
    args = parser.parse_args()
    small, large = (int(mb * 1_000_000) for mb in args.sizes)
    shapes = args.shapes or list(SHAPES)
    print(
        f"{'shape':<18} {'MB':>5} {'s':>7} {'MB':>5} {'s':>7} {'s/MB':>7} {'x normal':>9} "
        f"{'growth':>7}"
    )
    normal_slope = None
    for name in ["normal", *[s for s in shapes if s != "normal"]]:
        pages = [SHAPES[name](small), SHAPES[name](large)]
        sizes = [len(p.encode()) / 1_000_000 for p in pages]
        times = [_best(p, args.repeat) for p in pages]
        slope = (times[1] - times[0]) / (sizes[1] - sizes[0])
        normal_slope = normal_slope or max(slope, 1e-9)
        growth = (times[1] / sizes[1]) / (times[0] / sizes[0])
        print(
            f"{name:<18} {sizes[0]:5.2f} {times[0]:7.2f} {sizes[1]:5.2f} {times[1]:7.2f} "
            f"{slope:7.2f} {slope / normal_slope:9.1f} {growth:7.2f}",
            flush=True,
        )
    if args.corpus:
        _corpus_cost(args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
