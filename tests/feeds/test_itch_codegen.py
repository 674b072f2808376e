from pathlib import Path

import tickbook.feeds._itch_decode as generated
from tickbook.feeds._itch_codegen import render_decoders
from tickbook.feeds._itch_spec import MESSAGES


def test_generated_decoders_match_the_spec_table():
    assert Path(generated.__file__).read_text() == render_decoders()
    assert set(generated.DECODERS) == set(MESSAGES)
