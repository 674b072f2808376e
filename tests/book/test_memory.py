"""Growth: the Exchange's kernels answer E_ROOM and Python grows the arrays (``_memory.py``).

Nothing observable may depend on when the arrays grow: an exchange that starts tiny and grows
many times, one call at a time or inside a batch, ends identical to one that never grows.
"""

from __future__ import annotations

import random

from tests.reference.book_model import engine_fingerprint
from tickbook.book import Exchange


def busy_flow(ex: Exchange, seed: int = 7) -> list[object]:
    """Many levels (> the initial 64), many pending stops (> 16), fills, cancels, modifies."""
    rng = random.Random(seed)
    answers: list[object] = []
    ids: list[int] = []
    for k in range(400):  # 400 price levels a side
        ids.append(ex.submit_limit("buy", 5_000 - k, 1 + k % 7).order_id)
        ids.append(ex.submit_limit("sell", 5_001 + k, 1 + k % 5).order_id)
    for k in range(40):  # pending stops both ways, far from the last price
        answers.append(ex.submit_stop_market("sell", 4_000 - k, 3))
        answers.append(ex.submit_stop_limit("buy", 6_000 + k, 6_100, 2))
    answers.append(ex.submit_trailing_stop_market("sell", 3_000, 2, "fixed", 5))
    for _ in range(3_000):
        roll = rng.random()
        if roll < 0.5:
            side = rng.choice(("buy", "sell"))
            price = 5_000 + rng.randrange(-30, 31)
            r = ex.submit_limit(side, price, rng.randrange(1, 20), rng.choice(("gtc", "ioc")))
            answers.append(r)
            ids.append(r.order_id)
        elif roll < 0.75:
            answers.append(ex.try_cancel(rng.choice(ids)))
        elif roll < 0.9:
            answers.append(ex.try_modify(rng.choice(ids), 5_000 + rng.randrange(-40, 41), 5))
        else:
            answers.append(ex.submit_market(rng.choice(("buy", "sell")), rng.randrange(1, 30)))
    answers.append(ex.clear_order_history())
    return answers


def test_an_exchange_that_grows_many_times_ends_as_one_that_never_grows():
    tiny = Exchange(order_capacity=16)
    roomy = Exchange(order_capacity=1 << 14)
    assert [repr(a) for a in busy_flow(tiny)] == [repr(a) for a in busy_flow(roomy)]
    assert engine_fingerprint(tiny) == engine_fingerprint(roomy)
    assert tiny._st.oq.shape[0] > 16 and tiny._st.lv.shape[1] > 64 and tiny._st.sp.shape[0] > 16


def test_a_batch_that_runs_out_of_room_resumes_at_the_command_that_lacked_it():
    source = Exchange(order_capacity=1 << 14)
    busy_flow(source)
    commands = source.events()

    batch = Exchange(order_capacity=16)
    grows: list[tuple[int, ...]] = []
    real = batch._grow
    batch._grow = lambda *args: (grows.append(args), real(*args))[1]
    results, trades = batch.submit_batch(commands)

    assert len(grows) > 1  # sized for the commands up front, then levels and stops ran out
    assert (results["error"] == 0).all()
    assert trades.tolist() == source.trades_array().tolist()
    assert engine_fingerprint(batch) == engine_fingerprint(source)
    # results index the batch's own trades even when the batch was resumed
    assert results["trade_end"].max() == len(trades)
