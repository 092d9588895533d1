"""Each style file is written in its own style, and says what it is."""

import ast
import inspect

from webdemo.registry import STYLES
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
