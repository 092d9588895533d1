"""The costs page: the latest bench results charted against the essay's claims, and a
small bench a visitor can run live.

results     the results file that `webdemo bench` writes and the page reads; the progress line
verdicts    the essay's claims, and the verdict each gets from the figures
chart       the bars of one claim's chart, laid out for SVG
handlers    /costs and /costs/bench
live_bench  the small bench, run in a subprocess
"""
