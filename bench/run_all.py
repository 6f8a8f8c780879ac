"""The speed benchmark (`make bench`): for SQLite and PostgreSQL, seed a province-scale database
(`duban seed-bench`), time each main page and API list against it (bench/pages_bench.py), measure API requests per
second under gunicorn and the server's memory (bench/throughput_bench.py), and verify the seeded audit chain.

    .venv/bin/python bench/run_all.py                      # both databases, 100k tasks
    .venv/bin/python bench/run_all.py --backends sqlite --tasks 20000
    DATABASE_URL=postgres://... .venv/bin/python bench/run_all.py --backends pg   # use that database (emptied? no:
                                                                                  # it must hold no tasks)

PostgreSQL: without DATABASE_URL a throwaway cluster is made under /tmp (bench/pgcluster.py) and removed after.
Figures go to /tmp/duban-bench-results/*.json (--out) and a Markdown summary to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PY = sys.executable


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    mem = ""
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    return {"cpu": model, "cores": os.cpu_count(), "ram": mem, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "load_before": os.getloadavg()}


def run(cmd: list[str], env: dict, log) -> float:
    t0 = time.perf_counter()
    print("$", " ".join(cmd), file=log, flush=True)
    proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(proc.stdout, file=log, flush=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode:
        raise RuntimeError(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return time.perf_counter() - t0


@contextlib.contextmanager
def database(backend: str):
    if backend == "sqlite":
        d = tempfile.mkdtemp(prefix="duban-bench-sqlite-")
        try:
            yield f"sqlite:///{d}/duban.sqlite3", d
        finally:
            shutil.rmtree(d, ignore_errors=True)
    elif os.environ.get("DATABASE_URL", "").startswith("postgres"):
        yield os.environ["DATABASE_URL"], tempfile.mkdtemp(prefix="duban-bench-pgdata-")
    else:
        from bench.pgcluster import cluster

        with cluster() as url:
            yield url, tempfile.mkdtemp(prefix="duban-bench-pgdata-")


def bench_backend(backend: str, args, out_dir: Path, log) -> dict:
    result: dict = {"backend": backend, "tasks": args.tasks}
    with database(backend) as (url, data_dir):
        env = dict(os.environ, DATABASE_URL=url, DUBAN_DATA_DIR=data_dir)
        print(f"\n=== {backend}: migrate ===", flush=True)
        result["migrate_s"] = run([PY, "-m", "duban.cli", "migrate"], env, log)
        print(f"=== {backend}: seed {args.tasks} tasks ===", flush=True)
        t0, c0 = time.perf_counter(), os.times()
        run([PY, "-m", "duban.cli", "seed-bench", "--no-migrate", "--tasks", str(args.tasks)], env, log)
        c1 = os.times()
        result["seed_s"] = time.perf_counter() - t0
        result["seed_cpu_s"] = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
        print(f"seed: {result['seed_s']:.1f}s wall, {result['seed_cpu_s']:.1f}s CPU", flush=True)
        print(f"=== {backend}: pages ===", flush=True)
        pages_json = out_dir / f"pages-{backend}.json"
        run([PY, "bench/pages_bench.py", "--iterations", str(args.iterations), "--json", str(pages_json),
             "--only", args.only], env, log)
        result["pages"] = json.loads(pages_json.read_text(encoding="utf-8"))
        if not args.skip_throughput:
            print(f"=== {backend}: throughput ===", flush=True)
            tp_json = out_dir / f"throughput-{backend}.json"
            run([PY, "bench/throughput_bench.py", "--seconds", str(args.seconds), "--json", str(tp_json)], env, log)
            result["throughput"] = json.loads(tp_json.read_text(encoding="utf-8"))
        if not args.skip_verify:
            print(f"=== {backend}: audit verify ===", flush=True)
            result["audit_verify_s"] = run([PY, "-m", "duban.cli", "audit", "verify"], env, log)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,pg")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--only", default="", help="regex of page names for pages_bench (default: all)")
    parser.add_argument("--out", default="/tmp/duban-bench-results")
    parser.add_argument("--no-guard", action="store_true", help="do not fail on a page over its ratio guard")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"machine": machine(), "runs": []}
    with open(out_dir / "run.log", "w", encoding="utf-8") as log:
        for backend in args.backends.split(","):
            summary["runs"].append(bench_backend(backend.strip(), args, out_dir, log))
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    from bench.pages_bench import guard, markdown

    print("\n## machine\n", summary["machine"])
    for r in summary["runs"]:
        print(f"\n### {r['backend']}: seed {r['tasks']} tasks in {r['seed_s']:.1f}s (CPU {r['seed_cpu_s']:.1f}s), "
              f"audit verify {r.get('audit_verify_s', 0):.1f}s\n")
        print(markdown(r["pages"]))
        tp = r.get("throughput")
        if tp:
            a = tp["api_task_list"]
            rss = max([w["VmRSS"] for w in tp["rss_kb"]["workers"]] or [0]) / 1024
            print(f"\nAPI task list: {a['rps']:.0f} req/s (median {a['median_ms']:.0f} ms, p95 {a['p95_ms']:.0f} ms, "
                  f"{a['errors']} errors, {a['threads']} client threads); largest worker RSS {rss:.0f} MB")
    over = [line for r in summary["runs"] for line in guard(r["pages"])]
    if over:
        print("\nRegression guard: page / (hello-world + raw SQL) over bench/pages_bench.py RATIO_GUARD:", *over,
              sep="\n  ")
        return 0 if args.no_guard else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
