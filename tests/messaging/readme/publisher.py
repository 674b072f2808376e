import time

from tickbook.messaging import Publisher, Quote, md_topic

with Publisher("tcp://127.0.0.1:5555", name="feed") as pub:
    for _ in range(100):  # 1 s of heartbeats: subscribers that connect late miss nothing else
        pub.heartbeat()
        time.sleep(0.01)
    for i in range(1, 1001):
        quote = Quote(
            "AAPL",
            bid=19_000 + i % 7,
            ask=19_002 + i % 7,
            bid_size=100,
            ask_size=200,
            ts_ns=time.time_ns(),
        )  # prices in integer ticks (cents)
        pub.publish(md_topic("AAPL"), quote)
    time.sleep(1.0)  # let the last messages leave before the socket closes
