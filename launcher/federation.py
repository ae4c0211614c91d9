"""NATS servers of a national federation on one machine (tests, benchmarks, trials).

Writes the nats-server configuration of the national server and of each state's server from
lokos/bus.py (users and permissions) and lokos/federation.py (JetStream domains, leaf node
remote and its deny lists, the national side's leaf users), and runs them. A real deployment
uses the same blocks: deploy/k8s overlays carry them as leafnodes.conf.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from launcher.platform import nats_server_binary
from lokos import bus, federation, secretfiles


@dataclass
class NatsServer:
    """One nats-server of the federation: the national one, or a state's."""

    state: str
    folder: Path
    port: int
    monitor_port: int
    leaf_port: int = 0  # national: where states connect
    national_leaf_url: str = ""  # state: the national leaf port (possibly through a proxy)
    leaf_states: tuple[str, ...] = ()  # national: the states it accepts
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def password(self, user: str) -> str:
        return secretfiles.token(self.folder / "auth" / f"{user}.password")

    def leaf_password(self, state: str) -> str:
        """The password of ``state``'s leaf user (kept by the national server's folder)."""
        return secretfiles.token(self.folder / "auth" / f"{federation.leaf_user(state)}.password")

    def config(self, national: NatsServer | None = None) -> str:
        lines = [
            f"server_name: lokos-{self.state}",
            f"listen: 127.0.0.1:{self.port}",
            f"http: 127.0.0.1:{self.monitor_port}",
            "jetstream {",
            f"  store_dir: {json.dumps(str(self.folder / 'jetstream'))}",
            f"  domain: {federation.domain(self.state)}",
            "}",
        ]
        text = "\n".join(lines) + "\n"
        text += bus.authorization_block(self.state, lambda u: json.dumps(self.password(u)))
        if self.leaf_port:
            text += federation.national_leafnodes_block(
                f"127.0.0.1:{self.leaf_port}",
                {s: json.dumps(self.leaf_password(s)) for s in self.leaf_states},
            )
        if self.national_leaf_url:
            assert national is not None, "a state's server needs the national one's passwords"
            url = federation.leaf_url(
                self.national_leaf_url, self.state, national.leaf_password(self.state)
            )
            text += federation.state_leafnodes_block(self.state, json.dumps(url))
        return text

    def start(self, national: NatsServer | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "nats-server.conf"
        conf.write_text(self.config(national), encoding="utf-8")
        conf.chmod(0o600)
        log = (self.folder / "nats.log").open("ab")
        self._process = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=log
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"nats-server of {self.state} exited; see {self.folder}/nats.log"
                )
            try:
                url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"nats-server of {self.state} not ready; see {self.folder}/nats.log")

    def leaf_connections(self) -> int:
        r = httpx.get(f"http://127.0.0.1:{self.monitor_port}/leafz", timeout=2)
        return int(r.json().get("leafnodes", 0))

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None


class LeafCable:
    """A TCP forwarder standing for the network between a state and the national NATS: the
    state's leaf remote points at it, and :meth:`cut` / :meth:`mend` break and restore the
    link (established connections are dropped, new ones refused while cut)."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.listen_port = listen_port
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._links: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"nats-leaf://127.0.0.1:{self.listen_port}"

    async def mend(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.listen_port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        for link in list(self._links):
            link.cancel()
        await asyncio.gather(*self._links, return_exceptions=True)
        self._links.clear()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        task = asyncio.current_task()
        if task is not None:
            self._links.add(task)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except asyncio.CancelledError:
            pass
        finally:
            self._writers -= {writer, up_writer}
            if task is not None:
                self._links.discard(task)
