"""What the loop's callbacks that are not the style's do, in plain words: asyncio's,
Tornado's and this server's run engine's, by the qualified name of the callable.

A traced run's entry of one of these carries its phrase as "said", in English; the page
translates it (locale/ko.csv) and shows the name itself a click away. A name not here is
said in general words: tests/test_turns.py holds the seed runs to this table, so that a
renamed callback is caught.
"""

SAID = {
    # This server's run engine (webdemo/run/).
    "InFlight.client_fetch_ended": "the server's count of fetches under way let a finished one go",
    "LoopSlots.release": "a finished fetch gave its slot back",
    "as_response.<locals>.deliver": "the response was handed to the Future the code waits on",
    "WorkerProcess.on_bytes": "the loop read what the greenlet worker process sent",
    "flushed": "a live event was written to the browser's connection",
    # Tornado's.
    "CurlAsyncHTTPClient._handle_timeout": "Tornado's HTTP client checked on its transfers",
    "coroutine.<locals>.wrapper.<locals>.<lambda>":
        "tornado.gen handed a finished coroutine's result on",
    "multi_future.<locals>.callback": "tornado.gen.multi() counted a finished fetch",
    "RequestHandler._execute": "Tornado ran the request's handler",
    "BaseIOStream.write.<locals>.<lambda>": "Tornado finished writing to the browser's connection",
    # asyncio's.
    "gather.<locals>._done_callback": "asyncio.gather() counted a finished fetch",
    "_chain_future.<locals>._call_check_cancel":
        "asyncio checked that the thread's Future was not cancelled",
    "_release_waiter": "asyncio woke what waited",
    "_wait.<locals>._on_completion": "asyncio.wait() saw a Future finish",
    "shield.<locals>._inner_done_callback":
        "asyncio.shield() passed on the result of what it shields",
    "shield.<locals>._outer_done_callback":
        "asyncio.shield() saw that the Future its caller awaits was done",
}
