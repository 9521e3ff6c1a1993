"""Before/after timing of the prospect pages on two checkouts, in turns.

    .venv/bin/python bench/paired.py BEFORE_TREE BEFORE_KEEP AFTER_TREE AFTER_KEEP
        [--db sqlite|postgresql] [--pg-before NAME] [--pg-after NAME] [--rounds 10] [--batch 4]

Each KEEP is a directory a ``bench/run.py --keep`` run of that checkout left behind (its
database and keys). One worker process per checkout (started in the checkout, with this
interpreter) signs in as the bench supervisor; the driver asks them in turns for ``--batch``
requests of one page, ``--rounds`` times, swapping who goes first, so whatever else runs on
the machine hits both sides alike. Prints wall and CPU p50 (p95) per page and the ratio
after/before; the export is timed three times per side. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = {
    "SECRET_KEY": "bench",
    "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
    "WTF_CSRF_ENABLED": False,
    "EXPORT_MAX_ROWS": 100_000,
}


def worker(keep: str, url: str) -> None:
    """Serve ``NAME COUNT`` lines from stdin: time COUNT requests of page NAME, print JSON."""
    sys.path.insert(0, ".")  # the checkout this worker was started in
    from sqlalchemy import func, select

    from app import create_app
    from bench.run import filter_index
    from extensions import db
    from models.sales.prospects import Prospect

    name = "pg-keys.json" if url.startswith("postgresql") else "sqlite-keys.json"
    saved = json.loads((Path(keep) / name).read_text())
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **SETTINGS, **saved["keys"]})
    logging.disable(logging.INFO)
    client = app.test_client()
    signed_in = client.post("/login", data={"username": "bench", "password": saved["password"]})
    if signed_in.status_code != 302:
        raise SystemExit("bench user could not sign in")
    with app.app_context():
        view = next(
            v
            for v in app.extensions["admin"][0]._views
            if getattr(v, "access_key", "") == "prospect"
        )
        with app.test_request_context():
            grade = filter_index(view, "grade", ("FilterEqual",))
            consultant = filter_index(view, "consultant_id", ("LiveOptionsFilter",))
        middle = db.session.scalar(select(func.max(Prospect.id))) // 2
        # A card the supervisor sees: the first one from the middle in their offices.
        query = (
            select(Prospect.id, Prospect.mobile, Prospect.consultant_id)
            .where(Prospect.id >= middle)
            .order_by(Prospect.id)
            .limit(1)
        )
        try:
            from models.admin.people import User
            from services.admin.offices import visible_office_ids
        except ImportError:  # a checkout from before offices
            pass
        else:
            user = db.session.scalar(select(User).where(User.username == "bench"))
            offices = visible_office_ids(user)
            if offices is not None:
                query = query.where(Prospect.office_id.in_(sorted(offices)))
        sample = db.session.execute(query).one()
        db.session.remove()
    pages = {
        "list page 1": "/admin/prospect/",
        "list page 2,000": "/admin/prospect/?page=1999",
        "search name part 伟": "/admin/prospect/?search=%E4%BC%9F",
        "search initials ww": "/admin/prospect/?search=ww",
        "search exact phone": f"/admin/prospect/?search={sample.mobile}",
        "filter grade B + consultant": (
            f"/admin/prospect/?flt0_{grade}=B&flt1_{consultant}={sample.consultant_id}"
        ),
        "details page": f"/admin/prospect/details/?id={sample.id}",
        "export csv": "/admin/prospect/export/csv/",
    }
    print(json.dumps(list(pages)), flush=True)
    for line in sys.stdin:
        page, count = line.rsplit(" ", 1)
        runs = []
        for _ in range(int(count)):
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(pages[page])
            response.get_data()
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
            if response.status_code != 200:
                raise SystemExit(f"{page}: {response.status_code}")
        print(json.dumps(runs), flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1e3


def driver(args) -> None:
    sides = {
        "before": (args.before_tree, args.before_keep, args.pg_before),
        "after": (args.after_tree, args.after_keep, args.pg_after),
    }
    workers = {}
    for side, (tree, keep, pg_name) in sides.items():
        url = (
            f"sqlite:///{Path(keep).resolve() / 'bench.db'}"
            if args.db == "sqlite"
            else f"postgresql+psycopg2://postgres@127.0.0.1:5432/{pg_name}"
        )
        workers[side] = subprocess.Popen(  # noqa: S603 (this script, the checkouts given)
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "worker",
                str(Path(keep).resolve()),
                url,
            ],
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    pages = [json.loads(w.stdout.readline()) for w in workers.values()][0]

    def ask(side: str, page: str, count: int) -> list:
        worker_process = workers[side]
        worker_process.stdin.write(f"{page} {count}\n")
        worker_process.stdin.flush()
        return json.loads(worker_process.stdout.readline())

    print(f"{args.db}: {args.rounds} rounds x {args.batch} requests per side, in turns")
    print(
        f"{'page':30} {'before wall':>16} {'after wall':>16} {'ratio':>6} "
        f"{'before cpu':>10} {'after cpu':>10} {'ratio':>6}   (ms p50 (p95))"
    )
    for page in pages:
        rounds, batch = (3, 1) if page == "export csv" else (args.rounds, args.batch)
        for side in workers:
            ask(side, page, 1)  # warm caches and compiled statements
        runs = {"before": [], "after": []}
        for i in range(rounds):
            for side in ("before", "after") if i % 2 == 0 else ("after", "before"):
                runs[side] += ask(side, page, batch)
        wall = {s: [r[0] for r in runs[s]] for s in runs}
        cpu = {s: [r[1] for r in runs[s]] for s in runs}
        print(
            f"{page:30} {pct(wall['before'], 0.5):7.1f} ({pct(wall['before'], 0.95):6.1f}) "
            f"{pct(wall['after'], 0.5):7.1f} ({pct(wall['after'], 0.95):6.1f}) "
            f"{pct(wall['after'], 0.5) / pct(wall['before'], 0.5):6.2f} "
            f"{pct(cpu['before'], 0.5):10.1f} {pct(cpu['after'], 0.5):10.1f} "
            f"{pct(cpu['after'], 0.5) / pct(cpu['before'], 0.5):6.2f}",
            flush=True,
        )
    for worker_process in workers.values():
        worker_process.stdin.close()
        worker_process.wait()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        worker(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("before_tree", "before_keep", "after_tree", "after_keep"):
        parser.add_argument(name)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-before", default="bench_before", metavar="NAME")
    parser.add_argument("--pg-after", default="bench", metavar="NAME")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4)
    driver(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
