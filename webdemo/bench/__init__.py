"""python -m webdemo bench: what each style costs, measured.

main    the bench: its plan of runs, their progress, the table
child   the processes it starts: one measured run, and the simulated upstream
"""
