"""Class mode: a teacher leads a lesson, the students predict, one run is revealed to all.

codes.py: join codes, the teacher's capability, nicknames and the guessing limit;
store.py: the classes in SQLite, shared by every process; hub.py: one process's live
pages, told of each change; handlers.py: the addresses.
"""
