"""A tiny, obviously correct L3 book for differential tests of the feeds."""


class RefBook:
    def __init__(self):
        self.orders = {}  # id -> [side, price, qty]

    def add(self, oid, side, price, qty):
        assert oid not in self.orders
        self.orders[oid] = [side, price, qty]

    def reduce(self, oid, qty):
        self.orders[oid][2] -= qty
        if self.orders[oid][2] == 0:
            del self.orders[oid]

    def delete(self, oid):
        del self.orders[oid]

    def replace(self, oid, new, price, qty):
        side = self.orders.pop(oid)[0]
        self.orders[new] = [side, price, qty]

    def levels(self, side):
        agg = {}
        for s, p, q in self.orders.values():
            if s == side:
                qty, n = agg.get(p, (0, 0))
                agg[p] = (qty + q, n + 1)
        prices = sorted(agg, reverse=(side == 0))
        return [(p, *agg[p]) for p in prices]
