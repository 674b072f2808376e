from tickbook.messaging import Subscriber, md_topic

with Subscriber("tcp://127.0.0.1:5555", [md_topic("AAPL")]) as sub:
    spread = 0
    for delivery in sub.deliveries(idle_timeout_s=10.0):
        if delivery.gap is not None:
            print(f"lost {delivery.gap.count} messages before #{delivery.seq}")
        spread += sum(q.ask - q.bid for q in delivery.messages)
        if delivery.last_seq == 1000:
            break
    print(f"received {sub.received}, lost {sub.lost}, mean spread {spread / sub.received} ticks")
