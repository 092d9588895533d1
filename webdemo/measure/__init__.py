"""python -m webdemo bench: what each style costs, measured in fresh processes (main.py
plans the runs and prints the table; child.py is each measured process), saved for the
costs page to chart (webdemo/costs/results.py)."""
