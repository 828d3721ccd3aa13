"""Time aging alone against the hand-written aggregate, on the databases `bench/run.py` left loaded
(bench/out/bench-N.db and the PostgreSQL database arrears_bench), without importing again.

    python bench/aging_only.py --size 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import run
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.services.aging import aging_report

AS_OF = date(2026, 6, 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for backend in (run.Sqlite(args.size), run.Postgres(run.DEFAULT_POSTGRES_URL)):
        app = bootstrap(Settings(database_url=backend.url))
        connection = backend.connect()
        sql, params = backend.aging_sql()
        bound = params(run.bucket_bounds(AS_OF))
        service, handwritten = [], []
        problems = run.compare_aging(
            run.service_figures(aging_report(app.uow(), AS_OF)),
            run.baseline_figures(connection.execute(sql, bound).fetchall()),
        )
        for _ in range(args.repeat):
            started = time.perf_counter()
            aging_report(app.uow(), AS_OF)
            service.append(time.perf_counter() - started)
            started = time.perf_counter()
            connection.execute(sql, bound).fetchall()
            handwritten.append(time.perf_counter() - started)
            if backend.name == "postgresql":
                connection.rollback()
        s, h = statistics.median(service), statistics.median(handwritten)
        verdict = "MISMATCH" if problems else "same figures"
        print(f"{backend.name}: aging {s:.3f} s, hand-written SQL {h:.3f} s, {s / h:.2f}x ({verdict})")
        connection.close()
        app.close()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent.parent))
    raise SystemExit(main())
