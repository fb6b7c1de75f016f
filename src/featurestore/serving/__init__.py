"""`featurestore serve`: the HTTP feature server. Current values (as of the store's feature date) of profiles
from the online store, for any language, one call. API, auth, deployment and measurements: docs/serving.md.

- `reader`   async batch reads of Redis (one pipelined round trip), values brought forward (`online.asof`)
- `service`  the API's logic without a web framework: validation, limits, the JSON answers
- `app`      the ASGI application (FastAPI on Starlette, served by uvicorn): routes, auth, logs, metrics
- `metrics`  Prometheus metrics (request counts, latency histogram, Redis errors)
- `command`  the CLI command
"""
