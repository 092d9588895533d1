"""The fair shares themselves: caps per run and per address, and round-robin between runs."""

import concurrent.futures

from webdemo.run.shares import Shares


def waiter():
    return concurrent.futures.Future()


def test_one_run_and_one_address_hold_at_most_half():
    shares = Shares(4)
    greedy = shares.account("10.0.0.1", 100)
    assert [shares.take(greedy) for _ in range(3)] == [True, True, False]
    other_run_same_address = shares.account("10.0.0.1", 100)
    assert not shares.take(other_run_same_address)  # the address holds its half
    visitor = shares.account("10.0.0.2", 3)
    assert [shares.take(visitor) for _ in range(2)] == [True, True]
    assert shares.held == 4


def test_a_freed_slot_goes_round_robin_to_the_runs_waiting():
    shares = Shares(4)
    first, second = shares.account("10.0.0.1", 100), shares.account("10.0.0.1", 100)
    held = [shares.take(first), shares.take(first)]
    assert held == [True, True]
    waiting = [(first, waiter()), (first, waiter()), (second, waiter()), (second, waiter())]
    assert [shares.enqueue(run, slot) for run, slot in waiting] == ["shared"] * 4
    order = []
    for _ in range(4):
        shares.release(first if first.held else second)
        order += [index for index, (_, slot) in enumerate(waiting)
                  if slot.done() and index not in order]
    # The second run is not behind the first run's whole line: it holds nothing, so it
    # goes first, then they take turns.
    assert order == [2, 0, 3, 1]


def test_a_run_waiting_for_its_own_limit_says_so_and_stays_out_of_the_shared_line():
    shares = Shares(10)
    run = shares.account("10.0.0.1", 1)
    assert shares.take(run)
    slot = waiter()
    assert shares.enqueue(run, slot) == "queued"
    assert not shares.ready  # so other runs keep the fast path
    assert shares.take(shares.account("10.0.0.2", 5))
    shares.release(run)
    assert slot.done()


def test_a_waiter_withdrawn_leaves_no_trace():
    shares = Shares(2)
    run = shares.account("10.0.0.1", 5)
    assert shares.take(run)
    slot = waiter()
    assert shares.enqueue(run, slot) == "shared"
    assert shares.withdraw(run, slot)
    assert not shares.ready and not shares.withdraw(run, slot)
    shares.release(run)
    assert shares.held == 0 and shares.held_by_address == {}


def test_the_bench_shares_nothing():
    shares = Shares(4)
    alone = shares.account(None, 4)
    assert all(shares.take(alone) for _ in range(4))
