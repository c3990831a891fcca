"""Seed acceptance: the autograd tutorials in shared/seeds print the same under gradrpc as
under real torch 2.13.0.

The seed files are parsed here, at test time. A cell is the code after an ``In [N]:`` prompt
(its output, which follows, is dropped); a file without prompts contributes its fenced
```` ```python ```` blocks instead. Each seed's cells run in order, in one namespace, once under
torch and once under ``import gradrpc as torch`` (one subprocess per seed per runtime, the
gradrpc ones on a gradrpc server started for this module and reached through
``$GRADRPC_ADDRESS``), and each cell's output is compared after normalising object
addresses. ``torch.randn`` returns the same fixed values in both runs (see seed_runner.py).
Cells that cannot be compared are listed in EXCLUSIONS with the reason.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SEEDS_DIR = Path(__file__).parents[2] / ".." / "shared" / "seeds"
sys.path.insert(0, str(HERE))
from seed_runner import MARKER, RAISED  # noqa: E402

RUNTIMES = ("torch", "gradrpc")
RUN_TIMEOUT = 120


# ---------------------------------------------------------------- parsing the seeds


@dataclass(frozen=True)
class Cell:
    seed: str  # the file's number, "001"
    index: int  # position among the file's cells, from 0
    label: str  # where it is: "In [11] (line 80)"
    code: str

    @property
    def id(self) -> str:
        return f"{self.seed}:{self.index}"


PROMPT = re.compile(r"^In \[[^\]]*\]:\s*$")


def _parses(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


def _is_printed_value(node: ast.expr) -> bool:
    """An expression that is how a value prints (`True`, `'a.svg'`, `tensor([1.])`,
    `torch.Size([2])`), not code a tutorial would write."""
    if isinstance(node, ast.Constant | ast.Name):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_printed_value(node.operand)
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "tensor") or (
            isinstance(func, ast.Attribute) and func.attr == "Size"
        )
    return False


def _is_output(module: ast.Module) -> bool:
    return bool(module.body) and all(
        isinstance(s, ast.Expr) and _is_printed_value(s.value) for s in module.body
    )


def _paragraphs(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            out[-1].append(line.rstrip())
        elif out[-1]:
            out.append([])
    return [p for p in out if p]


def _prompt_cell(lines: list[str]) -> str:
    """The code of one prompt's text: its first paragraph, then each following paragraph
    that is code (it parses with the code before it, and is not a printed value); the first
    paragraph that is not code (output, or markdown) ends the cell."""
    paragraphs = _paragraphs(lines)
    if not paragraphs:
        return ""
    code = "\n".join(paragraphs[0])
    pending = ""  # comment-only paragraphs, kept if code follows them
    for paragraph in paragraphs[1:]:
        text = "\n".join(paragraph)
        alone = _parses(text)
        if alone is not None and not alone.body:
            pending += "\n\n" + text
            continue
        candidate = code + pending + "\n\n" + text
        if _parses(candidate) is None or (alone is not None and _is_output(alone)):
            break
        code, pending = candidate, ""
    return code + "\n"


def parse_seed(path: Path) -> list[Cell]:
    """The cells of one seed file, in order."""
    seed = path.name.split("_")[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    prompts = [i for i, line in enumerate(lines) if PROMPT.match(line)]
    cells = []
    if prompts:
        for k, start in enumerate(prompts):
            end = prompts[k + 1] if k + 1 < len(prompts) else len(lines)
            label = f"{lines[start].strip().rstrip(':')} (line {start + 1})"
            cells.append(Cell(seed, k, label, _prompt_cell(lines[start + 1 : end])))
        return cells
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            start = i
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            label = f"```python block (line {start + 1})"
            cells.append(Cell(seed, len(cells), label, textwrap.dedent("\n".join(body)) + "\n"))
        i += 1
    return cells


def seed_files() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))


if not SEEDS_DIR.is_dir():
    pytest.skip(
        f"the seed tutorials are not beside this checkout ({SEEDS_DIR.resolve()} is missing)",
        allow_module_level=True,
    )

SEEDS = {path.name.split("_")[0]: parse_seed(path) for path in seed_files()}
CELLS = {cell.id: cell for cells in SEEDS.values() for cell in cells}


# ---------------------------------------------------------------- what is not compared

UNINITIALIZED = "prints values computed from torch.empty (uninitialized memory)"
INVALID = "invalid Python in the tutorial text"


@dataclass(frozen=True)
class Exclusion:
    reason: str  # one of the two above
    starts_with: str  # the cell's first line, so that the entry cannot drift to another cell
    why: str  # the particular problem
    run: bool = True  # run the cell anyway (later cells may need what it defines)
    until: str | None = None  # compare the cell up to the line starting so, and run no further


EXCLUSIONS: dict[str, Exclusion] = {
    # `external_grad = torch.empty(2, requires_grad=True)` is the gradient passed to
    # z.backward, so x.grad and y.grad print whatever the allocation held. Run (so that its
    # backward through gradrpc is exercised), not compared.
    "001:1": Exclusion(UNINITIALIZED, "external_grad=torch.empty(2,requires_grad=True)", "x.grad"),
    # `with torch.no_grad():` whose body is only a comment: IndentationError. Not run.
    "004:6": Exclusion(INVALID, "with torch.no_grad():", "a `with` block without a body", False),
}
# Two cells are invalid in torch as well; they are compared, and both runtimes must raise the
# same exception type with the same message at the same line:
# - 004:7, `torch.Tensor(1.0, requires_grad=True)`: a TypeError;
# - 001:5, the nn/optim training loop: as printed, the second `add_module('w0', ...)` replaces
#   the first Linear, so `model(x)` multiplies 64x1000 by 100x10 and raises a RuntimeError
#   before the first loss is printed. (tests/client/test_nn.py runs the mended loop.)
RAISING_CELLS = {"004:7": "TypeError", "001:5": "RuntimeError"}


def cell_code(cell: Cell) -> str:
    """What the runner executes for `cell`."""
    exclusion = EXCLUSIONS.get(cell.id)
    if exclusion is None:
        return cell.code
    if exclusion.until is not None:
        lines = cell.code.splitlines()
        cut = next(i for i, line in enumerate(lines) if line.startswith(exclusion.until))
        return "\n".join(lines[:cut]) + "\n"
    return cell.code if exclusion.run else "pass\n"


def compared(cell: Cell) -> bool:
    exclusion = EXCLUSIONS.get(cell.id)
    return exclusion is None or exclusion.until is not None


# ---------------------------------------------------------------- running them

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def normalize(text: str) -> str:
    return ADDRESS.sub("0x…", text)


def split_cells(stdout: str, count: int) -> list[str]:
    parts = re.split(r"^" + re.escape(MARKER).replace(r"\{\}", r"\d+") + r"\n", stdout, flags=re.M)
    head, cells = parts[0], parts[1:]
    assert not head.strip(), f"output before the first cell: {head!r}"
    assert len(cells) == count, f"expected {count} cells, the run printed {len(cells)}"
    return [normalize(c) for c in cells]


SERVER_FLAGS = ["--port", "0", "--metrics-port", "0", "--log-level", "WARNING"]


@pytest.fixture(scope="module")
def server_address(tmp_path_factory):
    """A gradrpc server in a subprocess, as a user would start one."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gradrpc.server.main", *SERVER_FLAGS],
        stderr=subprocess.PIPE,
        text=True,
    )
    drain = None
    try:
        lines = []
        while not lines or not re.search(r"listening on \S+:\d+", lines[-1]):
            line = process.stderr.readline()
            assert line, "the server did not start:\n" + "".join(lines)
            lines.append(line)
        port = re.search(r"listening on \S+:(\d+)", lines[-1]).group(1)
        # keep reading its log, so that a chatty server never blocks on a full pipe
        drain = threading.Thread(target=process.stderr.read, daemon=True)
        drain.start()
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if drain is not None:
            drain.join(timeout=10)
        process.stderr.close()


@pytest.fixture(scope="module")
def outputs(server_address, tmp_path_factory) -> dict[tuple[str, str], list[str]]:
    """{(seed, runtime): per-cell normalised output}, all runs in parallel."""
    workdir = tmp_path_factory.mktemp("seeds")  # what a run's cells write lands in its folder
    env = {**os.environ, "GRADRPC_ADDRESS": server_address, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONWARNINGS", None)

    def run(key):
        seed, runtime = key
        cells = [cell_code(c) for c in SEEDS[seed]]
        folder = workdir / f"{seed}-{runtime}"
        folder.mkdir()
        done = subprocess.run(
            [sys.executable, str(HERE / "seed_runner.py"), runtime],
            input=json.dumps(cells),
            capture_output=True,
            text=True,
            cwd=folder,
            env=env,
            timeout=RUN_TIMEOUT,
        )
        assert done.returncode == 0, f"{seed} under {runtime} failed:\n{done.stderr}"
        return key, split_cells(done.stdout, len(cells)), done.stderr, _written(folder)

    keys = [(seed, runtime) for seed in SEEDS for runtime in RUNTIMES]
    with ThreadPoolExecutor(len(keys)) as pool:
        results = list(pool.map(run, keys))
    return {key: (out, err, files) for key, out, err, files in results}


OBJECT_ID = re.compile(r"\b\d{6,}\b")


def _written(folder: Path) -> dict[str, str]:
    """The graph sources the cells wrote under `folder` (graphviz writes the DOT source before
    it runs `dot`, so with or without graphviz's binary), object ids renamed in order."""
    return {
        str(path.relative_to(folder)): _renumbered(path.read_text())
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.suffix
    }


def _renumbered(source: str) -> str:
    ids: dict[str, str] = {}
    return OBJECT_ID.sub(lambda m: ids.setdefault(m.group(), f"node{len(ids)}"), source)


COMPARED = [cell for cell in CELLS.values() if compared(cell)]


@pytest.mark.parametrize("cell", COMPARED, ids=[c.id for c in COMPARED])
def test_cell_prints_what_torch_prints(cell: Cell, outputs):
    expected, _, _ = outputs[(cell.seed, "torch")]
    actual, gradrpc_log, _ = outputs[(cell.seed, "gradrpc")]
    assert actual[cell.index] == expected[cell.index], (
        f"seed {cell.seed}, {cell.label}:\n{cell_code(cell)}\n--- gradrpc stderr:\n{gradrpc_log}"
    )


def test_graphs_the_seeds_draw_are_torchvizs(outputs):
    """Seed 001 draws three graphs with torchviz.make_dot and renders them; gradrpc.viz writes
    the same DOT sources (ids aside)."""
    _, _, expected = outputs[("001", "torch")]
    _, _, actual = outputs[("001", "gradrpc")]
    assert set(expected) == {
        "images/graph",
        "images/graph_before_detach",
        "images/graph_after_detach",
    }
    assert actual == expected


def test_seeds_were_found():
    assert set(SEEDS) >= {"000", "001", "002", "003", "004"}
    assert all(SEEDS.values()), "a seed file yielded no cells"


def test_exclusions_name_cells_that_exist():
    for cell_id, exclusion in EXCLUSIONS.items():
        assert cell_id in CELLS, f"EXCLUSIONS names {cell_id}, which is not a cell"
        cell = CELLS[cell_id]
        assert cell.code.lstrip().startswith(exclusion.starts_with), (cell_id, cell.code)
        assert exclusion.reason in (UNINITIALIZED, INVALID)
        if exclusion.until is not None:
            assert any(line.startswith(exclusion.until) for line in cell.code.splitlines())


def test_every_other_cell_is_compared():
    assert {c.id for c in COMPARED} | set(EXCLUSIONS) == set(CELLS)
    assert {c.id for c in COMPARED} >= set(CELLS) - set(EXCLUSIONS)


def test_invalid_cells_are_invalid_python():
    for cell_id, exclusion in EXCLUSIONS.items():
        if exclusion.reason == INVALID:
            with pytest.raises(SyntaxError):
                compile(CELLS[cell_id].code, cell_id, "exec")


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*): (.*)$")


def raised_message(stderr: str, index: int, runtime: str) -> str:
    """The message of the exception cell `index` raised, from the runner's stderr:
    everything after the traceback's last `Type: ` line (it may span lines)."""
    header = f"--- cell {index} raised under {runtime}:\n"
    assert header in stderr, f"cell {index} raised nothing under {runtime}:\n{stderr}"
    segment = stderr.split(header, 1)[1].split("\n--- cell ", 1)[0].rstrip("\n").split("\n")
    start = max(i for i, line in enumerate(segment) if EXCEPTION_LINE.match(line))
    return "\n".join([EXCEPTION_LINE.match(segment[start]).group(2), *segment[start + 1 :]])


@pytest.mark.parametrize("cell_id", sorted(RAISING_CELLS))
def test_raising_cell_raises_the_same_exception_in_both(cell_id: str, outputs):
    """The cells that are errors in torch too raise the same built-in type, with the same
    message, from the same line of the cell."""
    cell = CELLS[cell_id]
    expected = outputs[(cell.seed, "torch")][0][cell.index]
    assert f"{RAISED} {RAISING_CELLS[cell_id]}" in expected
    assert outputs[(cell.seed, "gradrpc")][0][cell.index] == expected
    theirs = raised_message(outputs[(cell.seed, "torch")][1], cell.index, "torch")
    ours = raised_message(outputs[(cell.seed, "gradrpc")][1], cell.index, "gradrpc")
    assert ours == theirs
    # the user's line in the cell (gradrpc's own frames come after it in the traceback)
    cell_frame = f'File "<seed cell {cell.index}>"'
    their_line = next(f for f in reversed(_frames(outputs, cell, "torch")) if cell_frame in f)
    our_line = next(f for f in reversed(_frames(outputs, cell, "gradrpc")) if cell_frame in f)
    assert our_line == their_line


def _frames(outputs, cell: Cell, runtime: str) -> list[str]:
    stderr = outputs[(cell.seed, runtime)][1]
    segment = stderr.split(f"--- cell {cell.index} raised under {runtime}:\n", 1)[1]
    return [line for line in segment.split("\n--- cell ", 1)[0].split("\n") if "File " in line]


def test_the_training_loop_fails_as_torch_does(outputs):
    """001:5 as printed: torch's matrix-shape error, word for word, before any output."""
    cell = CELLS["001:5"]
    assert cell.code.rstrip().endswith("optimizer.zero_grad()")
    message = raised_message(outputs[(cell.seed, "gradrpc")][1], cell.index, "gradrpc")
    assert message == "mat1 and mat2 shapes cannot be multiplied (64x1000 and 100x10)"
    assert outputs[(cell.seed, "gradrpc")][0][cell.index] == f"{RAISED} RuntimeError\n"


def test_torch_raises_only_where_the_tutorial_is_wrong(outputs):
    """A compared cell that fails under torch as well would compare nothing of interest."""
    raising = {
        cell.id for cell in COMPARED if RAISED in outputs[(cell.seed, "torch")][0][cell.index]
    }
    assert raising == set(RAISING_CELLS), {i: CELLS[i].code for i in raising}


def test_cells_run_but_not_compared_raise_only_where_torch_does(outputs):
    """An excluded cell still runs when later cells need it: it must not fail in gradrpc."""
    for cell_id, exclusion in EXCLUSIONS.items():
        cell = CELLS[cell_id]
        if exclusion.run and exclusion.until is None:
            torch_raised = RAISED in outputs[(cell.seed, "torch")][0][cell.index]
            gradrpc_raised = RAISED in outputs[(cell.seed, "gradrpc")][0][cell.index]
            assert gradrpc_raised == torch_raised, (cell_id, outputs[(cell.seed, "gradrpc")][1])


def test_the_parser_keeps_code_and_drops_output():
    """Spot checks of the parsing on the cells whose boundaries are the hardest."""
    first = SEEDS["000"][0].code
    assert first.startswith("import torch\n\nx = torch.ones(5)")
    assert first.rstrip().endswith("binary_cross_entropy_with_logits(z, y)")
    graph = SEEDS["001"][2].code
    assert "h.backward()" in graph and "dot.render(filename='graph', directory='images')" in graph
    assert "a= tensor" not in graph
    loss = SEEDS["003"][-1].code
    assert loss.rstrip().endswith("print(w.grad)") and "grad_fn=<PowBackward0>" not in loss
    assert [c.code.splitlines()[0] for c in SEEDS["004"]][:2] == [
        "import torch",
        "x = torch.tensor(1.0)",
    ]
