"""Past one machine: two `kraftbot serve` processes behind nginx (the shipped `deploy/nginx`
config, TLS included), one shared PostgreSQL and one read-only index folder.

Checked through the proxy only: answers stream through, both processes take turns, every answer
and its feedback land in the one database, a sign-in made on one process holds on the other, and
the session cookie is `Secure` because the proxy says the request came over HTTPS.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from kraftbot.index.store import build_index
from kraftbot.storage.migrate import open_url
from kraftbot.storage.stores import open_stores

from ..conftest import copy_corpus
from ..storage.conftest import empty
from ..web.conftest import QUESTION, parse_events

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "ett-långt-lösenord"

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(not os.environ.get("POSTGRES_TEST_URL"), reason="scripts/test.sh starts PostgreSQL"),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="scripts/system_tools.sh installs nginx"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2, verify=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not come up: {log.read_text()[-2000:]}")


def proxy_config(folder: Path, kraftbot_ports: list[int], port: int) -> Path:
    """The shipped config with test ports and a self-signed certificate, in a minimal nginx.conf."""
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost", "-keyout", folder / "key.pem", "-out", folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (ROOT / "deploy/nginx/kraftbot.conf").read_text()
    for shipped, ours in (
        ("127.0.0.1:7860", f"127.0.0.1:{kraftbot_ports[0]}"),
        ("127.0.0.1:7861", f"127.0.0.1:{kraftbot_ports[1]}"),
        ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
        ("/etc/ssl/certs/kraftbot.crt", str(folder / "cert.pem")),
        ("/etc/ssl/private/kraftbot.key", str(folder / "key.pem")),
    ):
        assert shipped in site
        site = site.replace(shipped, ours)
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(
        f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n  log_format upstream '$upstream_addr $request_method $uri $status';\n"
        f"  access_log {folder}/access.log upstream;\n"
        + "".join(
            f"  {kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {folder}/site.conf;\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, embedder) -> Iterator[tuple[str, Path]]:
    """nginx on https://localhost:PORT in front of two KraftBot processes; yields (url, folder)."""
    folder = tmp_path_factory.mktemp("deploy")
    database = os.environ["POSTGRES_TEST_URL"]
    engine = open_url(database)
    empty(engine)
    engine.dispose()
    stores = open_stores(open_url(database), "default")
    stores.users.add("anna", PASSWORD)
    corpus = copy_corpus(folder / "corpus", ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor"])
    config = folder / "kraftbot.toml"
    config.write_text(
        f'[paths]\ncorpus_dir = "{corpus}"\nindex_dir = "{folder / "indexes"}"\ndata_dir = "{folder / "data"}"\n'
        f'[llm]\nbackend = "extractive"\n[database]\nurl = "{database}"\n'
        "[server]\nchat_sign_in = true\n"
    )
    from kraftbot.settings import load_settings

    build_index(load_settings(config_file=config, environ={}), "default", corpus, embedder, progress=False)
    kraftbot = str(Path(sys.executable).with_name("kraftbot"))
    ports, processes = [free_port(), free_port()], []
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTBOT_")}
    for port in ports:
        log = folder / f"kraftbot-{port}.log"
        processes.append(
            (
                subprocess.Popen(
                    [kraftbot, "--config", str(config), "serve", "--port", str(port)],
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                    env=environment,
                ),
                log,
            )
        )
    proxy_port = free_port()
    nginx_log = folder / "nginx.out"
    nginx = subprocess.Popen(
        [NGINX, "-c", str(proxy_config(folder, ports, proxy_port)), "-g", "daemon off;"],
        stdout=nginx_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for port, (process, log) in zip(ports, processes, strict=True):
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
        wait_until_up(f"https://localhost:{proxy_port}/healthz", nginx, nginx_log)
        yield f"https://localhost:{proxy_port}", folder
    finally:
        for process in [nginx, *(p for p, _ in processes)]:
            process.terminate()
        for process in [nginx, *(p for p, _ in processes)]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        stores.feedback.engine.dispose()


def test_two_processes_behind_nginx_share_one_database(deployment: tuple[str, Path]) -> None:
    url, folder = deployment
    trusted = ssl.create_default_context(cafile=folder / "cert.pem")
    with httpx.Client(base_url=url, verify=trusted, timeout=60) as client:
        signed_in = client.post(
            "/signin", data={"name": "anna", "password": PASSWORD, "next": "/"}, headers={"Origin": url}
        )
        assert signed_in.status_code == 303 and "Secure" in signed_in.headers["set-cookie"]
        answer_ids = []
        for _ in range(6):
            events = parse_events(client.post("/api/ask", json={"question": QUESTION}).text)
            names = [name for name, _ in events]
            assert names[-2:] == ["answer", "done"] and names.index("sources") < names.index("sentence")
            answer_ids.append(dict(events)["answer"]["id"])
            assert client.post("/api/feedback", json={"answer_id": answer_ids[-1], "rating": "down"}).status_code == 204
    log = [line.split() for line in (folder / "access.log").read_text().splitlines()]
    asked = [upstream for upstream, _, path, _ in log if path == "/api/ask"]
    rated = [upstream for upstream, _, path, _ in log if path == "/api/feedback"]
    assert len(set(asked + rated)) == 2, f"both processes should have served: {log}"
    # A rating taken by the process that did not answer finds the answer only in the shared database.
    assert any(a != r for a, r in zip(asked, rated, strict=True)), log
    with open_url(os.environ["POSTGRES_TEST_URL"]).connect() as connection:
        stored = connection.execute(text("SELECT answer_id FROM feedback WHERE rating = 'down'")).scalars().all()
    assert sorted(stored) == sorted(answer_ids)
