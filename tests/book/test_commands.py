"""``make_commands`` and ``check_commands``: columns that make no command array are refused."""

import numpy as np
import pytest

from tickbook.book import COMMAND_DTYPE, CommandKind, make_commands
from tickbook.book.commands import check_commands
from tickbook.core import ValidationError


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (([1, 1], [0, 1, 0]), "side", 3),
        ((CommandKind.LIMIT, 0, [100, 101], [5, 5, 5]), "qty", 3),
        ((CommandKind.LIMIT, np.zeros(4, np.int64), 100, 5, np.zeros(2, np.int64)), "ref", 2),
        (([[1, 1]],), "kind", (1, 2)),
        (([1, [2, 3]],), "kind", "list"),
    ],
    ids=["side", "qty", "ref", "2-D kind", "ragged kind"],
)
def test_columns_of_different_lengths_or_shapes_are_refused_by_name(args, field, value):
    with pytest.raises(ValidationError) as info:
        make_commands(*args)
    assert (info.value.field, info.value.value) == (field, value)
    assert f"`{field}`" in str(info.value)


def test_scalars_and_length_one_columns_broadcast():
    rows = make_commands(CommandKind.LIMIT, [1], [100, 101, 102], 5)
    assert rows.dtype == COMMAND_DTYPE and rows["side"].tolist() == [1, 1, 1]
    assert rows["price"].tolist() == [100, 101, 102] and rows["qty"].tolist() == [5, 5, 5]
    assert len(make_commands(CommandKind.CLEAR_HISTORY)) == 1


def test_check_commands_refuses_other_arrays():
    with pytest.raises(ValidationError) as info:
        check_commands(np.zeros(3))
    assert info.value.field == "commands"
    with pytest.raises(ValidationError):
        check_commands(np.zeros((2, 2), COMMAND_DTYPE))
