"""Which ASGI stack for `featurestore serve`? Starlette alone versus FastAPI (on Starlette, pydantic request
models, generated OpenAPI), both served by uvicorn (uvloop, httptools, one worker), both around the same
`featurestore.serving.service.FeatureService`, no auth, no logs, no metrics: what the framework itself costs.

On a synthetic store (--profiles x 62 features, synced into a local redis-server), `wrk` drives each app for
--seconds per case: GET of one profile and POST of 100, at --clients concurrent connections. Prints JSON.

    .venv/bin/python scripts/measure_http_stacks.py [--profiles 20000] [--clients 8] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serving_load  # noqa: E402  (scripts/serving_load.py)

START = date(2026, 9, 1)


def service() -> Any:
    from featurestore.online.layout import configured_prefix
    from featurestore.serving.reader import AsyncStoreReader, ReaderConfig
    from featurestore.serving.service import FeatureService, Limits

    return FeatureService(
        AsyncStoreReader(ReaderConfig(os.environ["REDIS_URL"], configured_prefix())), Limits()
    )


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from featurestore.serving.service import ApiError

    svc = service()

    async def single(request: Request) -> Response:
        try:
            answer = await svc.single(request.path_params["profile_id"], request.query_params.get("as_of"))
        except ApiError as exc:
            return Response(exc.body(), exc.status, media_type="application/json")
        return Response(answer.body, answer.status, media_type="application/json")

    async def batch(request: Request) -> Response:
        try:
            answer = await svc.batch(await request.body())
        except ApiError as exc:
            return Response(exc.body(), exc.status, media_type="application/json")
        return Response(answer.body, answer.status, media_type="application/json")

    return Starlette(
        routes=[Route("/v1/features/{profile_id}", single), Route("/v1/features", batch, methods=["POST"])]
    )


def fastapi_app() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import Response
    from pydantic import BaseModel

    from featurestore.serving.service import ApiError

    svc = service()
    app = FastAPI()

    class BatchRequest(BaseModel):
        profile_ids: list[str]
        as_of: date | None = None

    globals()["BatchRequest"] = BatchRequest  # FastAPI resolves the (string) annotations in module globals

    @app.get("/v1/features/{profile_id}")
    async def single(profile_id: str, as_of: date | None = None) -> Response:
        try:
            answer = await svc.single(profile_id, as_of.isoformat() if as_of else None)
        except ApiError as exc:
            return Response(exc.body(), exc.status, media_type="application/json")
        return Response(answer.body, answer.status, media_type="application/json")

    @app.post("/v1/features")
    async def batch(request: BatchRequest) -> Response:
        try:
            ids = svc.check_ids(request.profile_ids)
            _, body = await svc.answer(ids, request.as_of)
        except ApiError as exc:
            return Response(exc.body(), exc.status, media_type="application/json")
        return Response(body, 200, media_type="application/json")

    return app


def serve(stack: str, port: int) -> None:
    import uvicorn

    app = starlette_app() if stack == "starlette" else fastapi_app()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve", choices=["starlette", "fastapi"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    from featurestore.env import temporary_environment
    from featurestore.online import synthetic
    from featurestore.online.layout import Layout
    from featurestore.online.server import RedisServer, free_port
    from featurestore.online.sync import run_sync
    from featurestore.paths import ProjectPaths, find_project_dir

    project = find_project_dir(Path(__file__).parent)
    layout = Layout.from_catalog("fs:v1", project)
    results: dict[str, Any] = {
        "profiles": args.profiles,
        "clients": args.clients,
        "loadavg_before": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="fs-stacks-") as tmp:
        work = Path(tmp)
        synthetic.build_warehouse(work / "w.duckdb", layout, args.profiles, START)
        synthetic.write_run_results(work / "target")
        server = RedisServer(work / "redis", free_port())
        server.start()
        env = {
            "DUCKDB_PATH": str(work / "w.duckdb"),
            "DBT_TARGET_PATH": str(work / "target"),
            "REDIS_URL": server.url,
            "FS_PREFIX": "fs:v1",
        }
        ids_file = work / "ids.txt"
        rng = random.Random(3)
        ids_file.write_text(
            "\n".join(synthetic.profile_id(rng.randrange(args.profiles)) for _ in range(5000))
        )
        try:
            with temporary_environment(env):
                run_sync(ProjectPaths(project), full=True)
            runs: dict[str, list[dict[str, Any]]] = {}
            for round_ in range(args.rounds):
                for stack in ("starlette", "fastapi"):
                    port = free_port()
                    proc = subprocess.Popen(
                        [sys.executable, __file__, "--serve", stack, "--port", str(port)],
                        env={**os.environ, **env},
                    )
                    try:
                        base = f"http://127.0.0.1:{port}"
                        serving_load.wait_http(base + "/v1/features/p-0000001", process=proc)
                        for mode in ("single", "batch"):
                            run = serving_load.run_wrk(
                                base,
                                mode,
                                args.clients,
                                ids_file,
                                work,
                                duration_s=args.seconds,
                                max_requests=1_000_000,
                            )
                            run["round"] = round_ + 1
                            runs.setdefault(f"{stack}/{mode}", []).append(run)
                    finally:
                        proc.terminate()
                        proc.wait(10)
            results["runs"] = runs
            results["best_rps"] = {case: max(r["rps"] for r in rs) for case, rs in runs.items()}
        finally:
            server.stop(save=False)
    results["loadavg_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
