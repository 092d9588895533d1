"""The chain, in every style: one file per style, as styles/ has the aggregate.

A chain's fetches depend on one another: the start page says which pages
to fetch next, and their answers which one to fetch last. What every
style's chain shares is in webdemo/run/chain.py; each file here holds only its
style.
"""
