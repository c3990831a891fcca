"""The container, without Docker: the Dockerfile and docker-compose.yml are parsed and checked
against the CLI, and what the image runs is run here, as the image would run it.

Here "as the image would" means: the Dockerfile's (and compose's) environment applied, with
the image's virtual environment mapped to this one's, and the server on loopback ports. The
build's warm-up RUN fills a Numba cache of its own (the image's NUMBA_CACHE_DIR), the CMD
starts from that cache, the HEALTHCHECK command probes it, the seed-example service's command
runs against it, and SIGTERM stops it within its grace.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml
from gradrpc.server import health
from gradrpc.server.app import GradServer, ServerConfig
from gradrpc.server.main import parse_config
from grpc_health.v1 import health_pb2
from serverkit import free_port
from test_cli import LISTENING

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DOCKER_STOP_TIMEOUT = 10.0  # seconds `docker stop` waits before SIGKILL unless told otherwise


# ---------------------------------------------------------------- reading the files


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, continuation lines joined."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    """The build stages, each from its FROM."""
    result = []
    for instruction in dockerfile():
        if instruction[0] == "FROM":
            result.append([])
        result[-1].append(instruction)
    return result


def final() -> list[tuple[str, str]]:
    return stages()[-1]


def arguments(stage, keyword: str) -> list[str]:
    return [args for kw, args in stage if kw == keyword]


def only(stage, keyword: str) -> str:
    (args,) = arguments(stage, keyword)
    return args


def image_env() -> dict[str, str]:
    env = {}
    for args in arguments(final(), "ENV"):
        for pair in shlex.split(args):
            key, eq, val = pair.partition("=")
            assert eq, f"ENV {args}: use KEY=VALUE"
            env[key] = val
    return env


def healthcheck() -> tuple[dict[str, str], list[str]]:
    """The HEALTHCHECK's options and its exec-form command."""
    options, _, command = only(final(), "HEALTHCHECK").partition(" CMD ")
    parsed = dict(option.removeprefix("--").split("=") for option in options.split())
    return parsed, json.loads(command)


def seconds(duration: str) -> float:
    """A Docker or compose duration ("10s", "1m30s") in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    assert "".join(n + u for n, u in parts) == duration, duration
    unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * unit[u] for n, u in parts)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def container_port(mapping: str) -> int:
    """The container side of a compose port mapping ("HOST:CONTAINER")."""
    return int(str(mapping).rsplit(":", 1)[-1])


def server_env() -> dict[str, str]:
    """The server container's GRADRPC_* settings: compose's environment over the image's."""
    env = {k: v for k, v in image_env().items() if k.startswith("GRADRPC_")}
    return {**env, **{k: str(v) for k, v in compose()["server"]["environment"].items()}}


def cli_variables() -> set[str]:
    help_text = subprocess.run(
        [str(VENV_BIN / "gradrpc-server"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return set(re.findall(r"\[env (GRADRPC_\w+)", " ".join(help_text.split())))


def effective_config(monkeypatch, env: dict[str, str]):
    for key in [k for k in os.environ if k.startswith("GRADRPC_")]:
        monkeypatch.delenv(key)
    for key, val in env.items():
        monkeypatch.setenv(key, val)
    return parse_config([])


# ---------------------------------------------------------------- the files agree


def test_the_image_is_slim_python_with_the_server_extra_and_no_dev_dependencies():
    images = [only(stage, "FROM").split()[0] for stage in stages()]
    assert set(images) == {"python:3.11-slim"}
    installs = [a for stage in stages() for a in arguments(stage, "RUN") if "pip install" in a]
    assert installs == [f'{image_env()["PATH"].split(":")[0]}/pip install ".[server]"']


def test_the_image_runs_as_a_user_that_owns_the_numba_cache_it_fills_at_build():
    stage = final()
    user = only(stage, "USER")
    assert user not in ("root", "0")
    cache = image_env()["NUMBA_CACHE_DIR"]
    at_user = stage.index(("USER", user))
    # Made for the user while still root; then filled by the user (`image_cache` runs it).
    assert [a for k, a in stage[:at_user] if k == "RUN" and f"-o {user}" in a and cache in a]
    (warm_up,) = [a for k, a in stage[at_user:] if k == "RUN"]
    assert "gradrpc" in warm_up


def test_every_variable_set_is_one_gradrpc_server_accepts(monkeypatch):
    accepted = cli_variables()
    assert {"GRADRPC_PORT", "GRADRPC_METRICS_PORT", "GRADRPC_LOG_FORMAT"} <= accepted
    assert set(server_env()) <= accepted
    # The seed example is a client: its one setting is the server's address.
    assert set(compose()["seed-example"]["environment"]) == {"GRADRPC_ADDRESS"}
    # And each value is valid: the CLI parses the image's and compose's settings.
    image_only = {k: v for k, v in image_env().items() if k.startswith("GRADRPC_")}
    for env in (image_only, server_env()):
        config, _, log_format, _ = effective_config(monkeypatch, env)
        assert (config.host, log_format) == ("0.0.0.0", "json")


def test_ports_agree(monkeypatch):
    exposed = {int(p) for p in only(final(), "EXPOSE").split()}
    published = {container_port(p) for p in compose()["server"]["ports"]}
    for env in ({k: v for k, v in image_env().items() if k.startswith("GRADRPC_")}, server_env()):
        config = effective_config(monkeypatch, env).config
        assert exposed == published == {config.port, config.metrics_port}
    host, port = compose()["seed-example"]["environment"]["GRADRPC_ADDRESS"].split(":")
    assert (host, int(port)) == ("server", config.port)


def test_the_healthchecks_are_the_same_probe():
    options, command = healthcheck()
    service = compose()["server"]["healthcheck"]
    assert service["test"] == ["CMD", *command]
    assert command[0] == "gradrpc-health"
    for option in ("interval", "timeout", "start-period"):
        assert seconds(options[option]) == seconds(service[option.replace("-", "_")]), option
    assert int(options["retries"]) == service["retries"]
    # The probe gives up (and says why) before Docker would kill it.
    assert seconds(options["timeout"]) > health.TIMEOUT
    assert compose()["seed-example"]["healthcheck"] == {"disable": True}
    assert compose()["seed-example"]["depends_on"] == {"server": {"condition": "service_healthy"}}


def test_shutdown_gets_more_time_than_the_server_grace(monkeypatch):
    assert only(final(), "STOPSIGNAL") == "SIGTERM"
    server = compose()["server"]
    assert server.get("stop_signal", "SIGTERM") == "SIGTERM"
    config = effective_config(monkeypatch, server_env()).config
    assert seconds(server["stop_grace_period"]) > config.grace
    image_only = {k: v for k, v in image_env().items() if k.startswith("GRADRPC_")}
    config = effective_config(monkeypatch, image_only).config
    assert config.grace < DOCKER_STOP_TIMEOUT  # plain `docker stop` leaves it its grace


def test_the_server_service_restarts_and_is_limited():
    server = compose()["server"]
    assert server["restart"] == "unless-stopped"
    limits = server["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[KMG]", limits["memory"])
    assert server["build"] == compose()["seed-example"]["build"] == "."


def test_the_command_is_the_console_script():
    assert arguments(final(), "ENTRYPOINT") == []
    assert json.loads(only(final(), "CMD")) == ["gradrpc-server"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["gradrpc-server"] == "gradrpc.server.main:main"
    assert scripts["gradrpc-health"] == "gradrpc.server.health:main"


@pytest.mark.parametrize(
    "env, address",
    [
        ({}, "127.0.0.1:50051"),
        ({"GRADRPC_HOST": "0.0.0.0", "GRADRPC_PORT": "6000"}, "127.0.0.1:6000"),
        ({"GRADRPC_HOST": "10.1.2.3"}, "10.1.2.3:50051"),
        ({"GRADRPC_HOST": "::1", "GRADRPC_PORT": "7"}, "[::1]:7"),
        ({"GRADRPC_ADDRESS": "server:50051", "GRADRPC_PORT": "7"}, "server:50051"),
    ],
)
def test_the_probe_finds_the_server_from_its_settings(monkeypatch, env, address):
    for key in [k for k in os.environ if k.startswith("GRADRPC_")]:
        monkeypatch.delenv(key)
    for key, val in env.items():
        monkeypatch.setenv(key, val)
    assert health.default_address() == address


def test_the_probe_fails_while_the_server_is_not_serving(capsys):
    server = GradServer(ServerConfig(host="127.0.0.1", port=0)).start()
    try:
        assert health.main(["--address", server.address]) == 0
        server.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert health.main(["--address", server.address]) == 1
    finally:
        server.stop(grace=0)
    out, err = capsys.readouterr()
    assert (out, err) == (f"{server.address}: SERVING\n", f"{server.address}: NOT_SERVING\n")


# ---------------------------------------------------------------- the build context


def _ignore_patterns() -> list[tuple[bool, re.Pattern]]:
    """.dockerignore as (re-include?, regex) pairs: `*` stays within a folder, `**/` spans
    folders, and the last pattern that matches a path or a folder above it decides."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, line = line.startswith("!"), line.removeprefix("!")
        regex = re.escape(line).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        regex = re.sub(r"\\\[(.*?)\\?\]", r"[\1]", regex)
        patterns.append((negate, re.compile(regex)))
    return patterns


def build_context() -> list[str]:
    """The files `docker build .` would send, as paths relative to the repository."""
    patterns = _ignore_patterns()

    def included(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        keep = True
        for negate, regex in patterns:
            if any(regex.fullmatch(p) for p in prefixes):
                keep = negate
        return keep

    files = []
    for folder, dirs, names in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT).as_posix()
        here = "" if here == "." else here + "/"
        # Skip folders that are out and that no re-inclusion reaches (.git, .venv, ...).
        dirs[:] = [
            d
            for d in dirs
            if included(here + d)
            or any(n and r.pattern.startswith(re.escape(here + d)) for n, r in patterns)
        ]
        files += [here + n for n in names if included(here + n)]
    return sorted(files)


def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_else():
    context = build_context()
    tops = {path.split("/")[0] for path in context}
    assert tops == {"pyproject.toml", "README.md", "client", "engine", "server", "protos"} | {
        "examples"
    }
    assert "examples/seed_sigmoid_chain.py" in context
    assert not [p for p in context if "__pycache__" in p or p.endswith((".nbi", ".nbc"))]
    for stage in stages():
        for args in arguments(stage, "COPY"):
            if args.startswith("--from="):
                continue
            *sources, _ = args.split()
            for source in sources:
                assert any(p == source or p.startswith(source + "/") for p in context), source


def test_the_build_context_builds_the_package_with_both_console_scripts(tmp_path):
    """What `pip install ".[server]"` in the build stage installs, built from the context."""
    source = tmp_path / "src"
    for path in build_context():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    wheel_dir = tmp_path / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "--quiet", "--wheel-dir", str(wheel_dir), str(source)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = wheel_dir.glob("gradrpc-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
        metadata = archive.read(info.replace("entry_points.txt", "METADATA")).decode()
    for module in ("server/main.py", "server/health.py", "server/metrics.py", "engine/kernels.py"):
        assert f"gradrpc/{module}" in names, module
    assert {"gradrpc/v1/gradrpc_pb2.py", "gradrpc/v1/gradrpc.proto"} <= names
    assert "gradrpc-server = gradrpc.server.main:main" in entry_points
    assert "gradrpc-health = gradrpc.server.health:main" in entry_points
    for requirement in ("numba", "grpcio-reflection", "prometheus-client"):
        assert re.search(rf"Requires-Dist: {requirement}\b.*extra == \"server\"", metadata)


# ---------------------------------------------------------------- running what the image runs


def _run(args: str | list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    """A RUN (shell form: /bin/sh -c) or exec-form command, as the image runs it."""
    command = ["/bin/sh", "-c", args] if isinstance(args, str) else args
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, **kw)


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> dict[str, str]:
    """The server container's environment (image, then compose), here: its virtual
    environment's bin mapped to this one's, a fresh Numba cache for its NUMBA_CACHE_DIR, and
    loopback ports of this machine's choosing."""
    image = image_env()
    image_bin = image["PATH"].split(":")[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADRPC_", "NUMBA_"))}
    env.update(image)
    env["PATH"] = image["PATH"].replace(image_bin, str(VENV_BIN), 1)
    env["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
    env["NUMBA_CACHE_DIR"] = str(tmp_path_factory.mktemp("numba-cache"))
    env.update(server_env())
    env.update(
        GRADRPC_HOST="127.0.0.1",
        GRADRPC_PORT=str(free_port()),
        GRADRPC_METRICS_PORT=str(free_port()),
    )
    return env


@pytest.fixture(scope="module")
def image_cache(environment) -> str:
    """The build's warm-up: the RUN after USER, into the (empty) NUMBA_CACHE_DIR."""
    stage = final()
    user_at = stage.index(("USER", only(stage, "USER")))
    (warm_up,) = [a for k, a in stage[user_at:] if k == "RUN"]
    done = _run(warm_up, environment)
    assert done.returncode == 0, done.stderr
    assert re.search(r"gradrpc-server: \d+ kernels built in", done.stderr), done.stderr
    cache = Path(environment["NUMBA_CACHE_DIR"])
    assert list(cache.rglob("*.nbi")), "the warm-up cached no kernel"
    return str(cache)


EVERY_KERNEL = """
import numba.core.ccallback as ccallback
import numba.core.dispatcher as dispatcher

compiled = []
compile_core = dispatcher._FunctionCompiler._compile_core
compile_loop = ccallback.CFunc._compile_uncached
dispatcher._FunctionCompiler._compile_core = lambda self, *args: (
    compiled.append(self.py_func.__qualname__) or compile_core(self, *args)
)
ccallback.CFunc._compile_uncached = lambda self: (
    compiled.append(self._pyfunc.__qualname__) or compile_loop(self)
)
from gradrpc.engine import kernels, ops

print(kernels.build_all(), compiled)
"""


def test_the_build_warm_up_caches_every_kernel(environment, image_cache):
    """From the image's cache, building every kernel compiles none: whichever op a client
    calls first, the server loads its kernel instead of compiling it."""
    done = _run([sys.executable, "-c", EVERY_KERNEL], environment)
    assert done.returncode == 0, done.stderr
    count, compiled = done.stdout.split(" ", 1)
    assert (int(count) > 150, compiled.strip()) == (True, "[]")


def test_the_container_serves_is_healthy_runs_the_seed_example_and_stops_cleanly(
    environment, image_cache
):
    port = environment["GRADRPC_PORT"]
    server = subprocess.Popen(
        json.loads(only(final(), "CMD")),
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or not LISTENING.search(lines[-1]):
            line = server.stderr.readline()
            assert line, "the server exited before listening:\n" + "".join(lines)
            lines.append(line)
        assert LISTENING.search(lines[-1]).groups() == ("127.0.0.1", port)

        # The HEALTHCHECK, exactly: exit 0 on SERVING, and not against a closed port.
        _, probe = healthcheck()
        done = _run(probe, environment)
        assert (done.returncode, done.stdout.strip()) == (0, f"127.0.0.1:{port}: SERVING")
        closed = _run(probe, {**environment, "GRADRPC_PORT": str(free_port())})
        assert closed.returncode == 1 and "UNAVAILABLE" in closed.stderr

        # The seed-example service's command, from the image's WORKDIR (the repository root
        # here: the Dockerfile copies the example to the same relative path).
        example = compose()["seed-example"]
        (copy,) = [a for a in arguments(final(), "COPY") if "seed_sigmoid_chain" in a]
        script = example["command"][1]
        assert [p.rstrip("/") for p in copy.split()] == [script, str(Path(script).parent)]
        assert example["environment"]["GRADRPC_ADDRESS"].startswith("server:")
        address = f"127.0.0.1:{port}"  # the server service, here
        ran = _run(example["command"], {**environment, "GRADRPC_ADDRESS": address}, cwd=ROOT)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.splitlines() == [
            "h= tensor(0.7311, grad_fn=<MulBackward0>)",
            "dh/dw0= tensor(-0.1966)",
            "dh/dx0= tensor(0.3932)",
            "dh/dw1= tensor(-0.3932)",
            "dh/dx1= tensor(-0.5898)",
            "dh/dw2= tensor(0.1966)",
        ]

        # The metrics port the image exposes answers, and counted the example's session.
        url = f"http://127.0.0.1:{environment['GRADRPC_METRICS_PORT']}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            scraped = reply.read().decode()
        assert 'gradrpc_rpc_duration_seconds_count{method="CreateSession"} 1.0' in scraped

        server.send_signal(signal.SIGTERM)
        grace = float(environment["GRADRPC_GRACE"])
        assert server.wait(timeout=grace) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    rest = server.stderr.read()
    assert "Traceback" not in rest
    events = [json.loads(line) for line in lines[:-1] + rest.splitlines()]  # json logs
    created = [e for e in events if e["message"] == "session created"]
    closed = [e for e in events if e["message"] == "session closed"]
    assert len(created) == 1 and re.fullmatch(r"[0-9a-f]{32}", created[0]["session"])
    assert [e["session"] for e in closed] == [created[0]["session"]]
    assert events[-1]["message"] == "stopped"
