import tickbook.feeds


def test_feeds_api_is_pinned():
    assert set(tickbook.feeds.__all__) == {
        "DepthBook", "DepthStats", "FeedEvent", "ITCH_MESSAGES", "ItchData", "ItchReplay",
        "LobsterData", "LobsterItch", "LobsterReplay", "encode_itch", "encode_message",
        "encode_records", "itch_dtype", "iter_itch", "load_lobster", "lobster_to_itch",
        "parse_itch", "read_depth_recording", "read_itch", "replay_itch", "replay_lobster",
        "to_units",
    }  # fmt: skip
    for name in tickbook.feeds.__all__:
        assert getattr(tickbook.feeds, name) is not None


def test_itch_spec_covers_every_message_type():
    assert set(tickbook.feeds.ITCH_MESSAGES) == set("SRHYLVWKJhAFECXDUPQBINO")
    lengths = {t: m.length for t, m in tickbook.feeds.ITCH_MESSAGES.items()}
    assert lengths == {
        "S": 12, "R": 39, "H": 25, "Y": 20, "L": 26, "V": 35, "W": 12, "K": 28, "J": 35,
        "h": 21, "A": 36, "F": 40, "E": 31, "C": 36, "X": 23, "D": 19, "U": 35, "P": 44,
        "Q": 40, "B": 19, "I": 50, "N": 20, "O": 48,
    }  # fmt: skip
    for spec in tickbook.feeds.ITCH_MESSAGES.values():
        end = max(offset + size for _, offset, size, _ in spec.fields)
        assert end == spec.length, spec.type  # fields tile the message exactly
