"""Each style file is written in its own style, and says what it is."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from webdemo.chains import greenlets as chains_greenlets
from webdemo.registry import STYLES
from webdemo.run import contract
from webdemo.run.chain import ChainHandler
from webdemo.styles import callbacks, coroutines, generators, greenlets, sequential, threads


def source(module):
    return inspect.getsource(module)


def uses_async(module):
    """Whether the module's code (not its words) has async def or await."""
    return any(isinstance(node, ast.AsyncFunctionDef | ast.Await)
               for node in ast.walk(ast.parse(source(module))))


def test_callbacks_and_coroutines():
    assert not uses_async(callbacks)
    assert not inspect.iscoroutinefunction(callbacks.CallbacksHandler.get)
    assert inspect.iscoroutinefunction(coroutines.CoroutinesHandler.get)


def test_generators_yield_where_coroutines_await():
    assert not uses_async(generators)
    for method in (generators.GeneratorsHandler.get, generators.GeneratorsHandler.fetch_one):
        assert inspect.isgeneratorfunction(method.__wrapped__)
    assert "Python 3.11 removed it" in STYLES["generators"].blurb


def test_the_blocking_styles_block_only_in_threads():
    for handler in (threads.ThreadsHandler, sequential.SequentialHandler):
        assert not inspect.iscoroutinefunction(handler.fetch_one)
        assert "fetch_blocking" in inspect.getsource(handler.fetch_one)
    assert "run_in_executor" in source(threads) and "run_in_executor" in source(sequential)
    assert not STYLES["sequential"].concurrent


def test_greenlets_are_gevent_code_that_never_patches_the_server():
    assert "gevent.spawn" in source(greenlets) and "gevent.joinall" in source(greenlets)
    assert not uses_async(greenlets)
    assert "monkey.patch_all()" in source(greenlets)  # explained in the docstring
    import socket

    import gevent.socket
    assert socket.socket is not gevent.socket.socket  # this process is not patched


def test_every_style_file_is_short_and_fits_two_side_by_side():
    for style in STYLES.values():
        lines = style.source("aggregate").splitlines()
        assert len(lines) < 160, style.name
        assert max(map(len, lines)) <= 80, style.name


# What a style file may import and call: its run's contract (webdemo/run/contract.py).

STYLE_FILES = sorted(Path("webdemo").glob("styles/[!_]*.py")) + \
    sorted(Path("webdemo").glob("chains/[!_]*.py"))
# The base a style's code stands on: a handler on the loop, or the worker's job.
BASES = {"webdemo.run.aggregate", "webdemo.run.chain", "webdemo.run.job"}


def imported(path):
    tree = ast.parse(path.read_text())
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
            for alias in node.names} | \
        {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_every_style_and_chain_file_imports_its_base_and_no_other_part_of_the_house():
    assert len(STYLE_FILES) == 2 * len(STYLES)
    for path in STYLE_FILES:
        ours = {name for name in imported(path) if name.split(".")[0] == "webdemo"}
        assert len(ours) == 1 and ours <= BASES, path  # never another style, never the server


def members(protocol):
    return {name for kind in protocol.__mro__ if kind is not object
            for name in [*vars(kind), *getattr(kind, "__annotations__", {})]
            if not name.startswith("_")}


def called_on_self(path):
    """The names the file's code reads on self, less those it defines itself."""
    tree = ast.parse(path.read_text())
    read, own = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "self":
            (own if isinstance(node.ctx, ast.Store) else read).add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            own.add(node.name)
        elif isinstance(node, ast.ClassDef):
            own |= {target.id for item in node.body if isinstance(item, ast.Assign)
                    for target in item.targets}
    return read - own


def test_style_code_calls_on_its_run_only_what_the_contract_names():
    for path in STYLE_FILES:
        job = contract.Chain if path.parent.name == "chains" else contract.Run
        on_loop = path.stem != "greenlets"
        allowed = members(job) | (members(contract.LoopRun) if on_loop else set())
        assert called_on_self(path) <= allowed, path


def test_the_handlers_and_the_worker_jobs_implement_the_contract():
    def methods(protocol):
        return {name for name in members(protocol) if callable(getattr(protocol, name, None))}

    def implements(kind, protocol):
        return all(callable(getattr(kind, name, None)) for name in methods(protocol))

    for style in STYLES.values():
        assert implements(style.aggregate_handler, contract.LoopRun), style.name
        assert implements(style.chain_handler, contract.LoopRun), style.name
        assert implements(style.chain_handler, contract.Chain), style.name
    assert implements(greenlets.GreenletsJob, contract.Run)
    assert implements(chains_greenlets.GreenletsChainJob, contract.Chain)
    assert chains_greenlets.GreenletsChainJob.start == ChainHandler.start == contract.START


def modules_loaded_by(*modules):
    code = f"import sys; import {', '.join(modules)}; print(' '.join(sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split()


def test_the_worker_loads_its_style_code_without_the_server_and_the_server_no_gevent():
    worker = modules_loaded_by("webdemo.styles.greenlets", "webdemo.chains.greenlets")
    assert "gevent" in worker
    server = {"webdemo.registry", "webdemo.app", "webdemo.base", "webdemo.run.aggregate",
              "webdemo.workers.server_side", "webdemo.styles.coroutines"}
    assert not server & set(worker)
    assert "gevent" not in modules_loaded_by("webdemo.app")
