"""The arrays that hold one book, bundled so that a kernel takes them as a single argument.

A Numba ``StructRef`` carries the arrays: one argument, where passing ten arrays would cost
ten unboxings per call. Kernels may replace a field with a larger array when the book grows.
With ``NUMBA_DISABLE_JIT=1`` the same fields live on a plain Python object, and the same
kernel code runs as Python.

Unboxing: Numba's generic StructRef unboxer looks the proxy's ``_meminfo`` up by name on
every call (~80 ns of a ~250 ns call). Ours reads the slot at its fixed offset in the proxy
object instead. The offset is probed once at import; if the probe does not find it (another
Python layout), Numba's own boxing is used, which is slower but the same.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from llvmlite import ir
from numba import config, njit, typeof, types
from numba.core import cgutils, imputils
from numba.core.datamodel import default_manager, models
from numba.core.extending import NativeValue, box, intrinsic, overload, register_model, unbox
from numba.core.imputils import lower_getattr_generic, lower_setattr_generic
from numba.core.typing.templates import AttributeTemplate, infer_getattr
from numba.experimental import structref

from tickbook.book._layout import (
    CHUNK,
    COMMAND_DTYPE,
    EMPTY_SLOT,
    H_CAP_CHUNKS,
    H_CAP_EVENTS,
    H_CAP_INDEX,
    H_CAP_LEVELS,
    H_CAP_ORDERS,
    H_CAP_STOPS,
    H_FREE,
    H_IX_BITS,
    H_LV_FREE,
    H_RECORD,
    H_TOP,
    HDR_SIZE,
    MAX_ATR_PERIOD,
    STOP_COLS,
    TRADE_COLS,
)

__all__ = ["STATE_FIELDS", "BookState", "new_state", "state_from_fields", "view"]

_FIELDS = ("hdr", "oq", "oc", "ix_vals", "lv", "lx", "ld", "tr", "ev", "sp", "sx", "ring")
#: the state's arrays, in the order ``state_from_fields`` takes them
STATE_FIELDS = _FIELDS


class BookStateType(types.StructRef):
    """Numba type of ``BookState``."""

    def preprocess_fields(self, fields: Any) -> Any:
        """Store plain (not literal) types for the fields."""
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


def _register_borrowed_fields() -> None:
    """Register ``BookStateType`` like ``structref.register``, with borrowed field reads.

    Numba's generic StructRef getattr hands out a counted reference: every ``st.oq`` in a
    kernel costs an atomic increment and decrement of the array's refcount (a third of the
    batch kernel's time, measured with perf). Here a field read inside a kernel gives a view
    whose meminfo is null, so Numba's refcount calls on it do nothing. The state owns the
    arrays and the caller owns the state for the whole call, so the data stays alive; a
    kernel that replaces a field (``st.tr = grown``) must read it again afterwards, as all
    do. A view read this way must never leave compiled code: the getters that hand arrays
    to Python use ``_owned_field``, which counts its reference.
    """
    default_manager.register(BookStateType, models.StructRefModel)
    _define_fields(BookStateType, _state_data)


def _state_data(context: Any, builder: Any, typ: Any, val: Any) -> Any:
    return structref._Utils(context, builder, typ).get_data_struct(val)


def _define_fields(type_class: Any, data_of: Any) -> None:
    """Type and lower field reads (borrowed) and writes on ``type_class``.

    ``data_of(context, builder, typ, val)`` answers the struct proxy of the fields.
    """

    @infer_getattr
    class _Attributes(AttributeTemplate):
        key = type_class

        def generic_resolve(self, typ: Any, attr: str) -> Any:
            return typ.field_dict.get(attr)

    @lower_getattr_generic(type_class)
    def _getattr(context: Any, builder: Any, typ: Any, val: Any, attr: str) -> Any:
        data = data_of(context, builder, typ, val)
        return _read_field(context, builder, data, typ.field_dict[attr], attr)

    @lower_setattr_generic(type_class)
    def _setattr(context: Any, builder: Any, sig: Any, args: Any, attr: str) -> None:
        data = data_of(context, builder, sig.args[0], args[0])
        _write_field(context, builder, data, sig, args[1], attr)


def _read_field(context: Any, builder: Any, data: Any, fieldtype: Any, attr: str) -> Any:
    value = getattr(data, attr)
    if isinstance(fieldtype, types.Array):
        view = context.make_array(fieldtype)(context, builder, value=value)
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        value = view._getvalue()
    return imputils.impl_ret_borrowed(context, builder, fieldtype, value)


def _write_field(context: Any, builder: Any, data: Any, sig: Any, val: Any, attr: str) -> None:
    inst_type, val_type = sig.args
    casted = context.cast(builder, val, val_type, inst_type.field_dict[attr])
    old = getattr(data, attr)
    context.nrt.incref(builder, val_type, casted)
    context.nrt.decref(builder, val_type, old)  # last: the new value may be the old one
    setattr(data, attr, casted)


_register_borrowed_fields()


class BookStateViewType(types.Type):
    """A kernel's uncounted handle on a ``BookState``: the address of its fields.

    Passing the ``StructRef`` itself from kernel to helper costs an atomic increment and
    decrement of its refcount per call (~10% of the batch kernel, measured with perf). An
    entry kernel takes ``view(state)`` once; its helpers take the view, a plain pointer, valid
    while the entry kernel holds ``state`` (the whole call). Fields read and write as on the
    state.
    """

    def __init__(self, state_type: BookStateType) -> None:
        self.state_type = state_type
        super().__init__(name=f"BookStateView({state_type.name})")

    @property
    def field_dict(self) -> Any:
        """The state's fields and their types."""
        return self.state_type.field_dict


register_model(BookStateViewType)(models.OpaqueModel)


def _view_data(context: Any, builder: Any, typ: BookStateViewType, val: Any) -> Any:
    valtype = typ.state_type.get_data_type()
    pointer = context.data_model_manager[valtype].get_value_type().as_pointer()
    return cgutils.create_struct_proxy(valtype)(context, builder, ref=builder.bitcast(val, pointer))


_define_fields(BookStateViewType, _view_data)


@intrinsic
def _as_view(typingctx: Any, state: Any) -> Any:
    if not isinstance(state, BookStateType):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = structref._Utils(context, builder, state).get_data_pointer(args[0])
        return builder.bitcast(data, cgutils.voidptr_t)

    return BookStateViewType(state)(state), codegen


def view(state: Any) -> Any:
    """Return the uncounted handle an entry kernel passes to its helpers (see above).

    As Python (``NUMBA_DISABLE_JIT=1``) the state is its own handle.
    """
    return state


# (no annotations: Numba compares them with the Python function's signature)
@overload(view, jit_options={"cache": True})
def _view_impl(state):
    if isinstance(state, BookStateViewType):
        return lambda state: state
    if isinstance(state, BookStateType):
        return lambda state: _as_view(state)
    return None


@intrinsic
def _owned_field(typingctx: Any, state: Any, name: Any) -> Any:
    """Read field ``name`` with a counted reference (for arrays handed to Python)."""
    if not isinstance(state, BookStateType) or not isinstance(name, types.StringLiteral):
        return None
    attr = name.literal_value
    fieldtype = state.field_dict[attr]

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = structref._Utils(context, builder, state).get_data_struct(args[0])
        return imputils.impl_ret_borrowed(context, builder, fieldtype, getattr(data, attr))

    return fieldtype(state, name), codegen


class BookState(structref.StructRefProxy):
    """The arrays of one book (see ``_layout.py`` for their columns).

    Python reads a field through a small compiled getter; the array it gets shares memory
    with the book, so it sees later changes until a kernel swaps in a larger array.
    """

    hdr = property(lambda self: _get_hdr(self))
    oq = property(lambda self: _get_oq(self))
    oc = property(lambda self: _get_oc(self))
    ix_vals = property(lambda self: _get_ix_vals(self))
    lv = property(lambda self: _get_lv(self))
    lx = property(lambda self: _get_lx(self))
    ld = property(lambda self: _get_ld(self))
    tr = property(lambda self: _get_tr(self))
    ev = property(lambda self: _get_ev(self))
    sp = property(lambda self: _get_sp(self))
    sx = property(lambda self: _get_sx(self))
    ring = property(lambda self: _get_ring(self))


def _meminfo_offset() -> int | None:
    """Return the byte offset of the ``_meminfo`` slot in a proxy object, if it can be found."""
    probe = object.__new__(BookState)
    sentinel = object()
    probe._meminfo = sentinel
    for offset in range(16, 64, 8):
        if ctypes.c_void_p.from_address(id(probe) + offset).value == id(sentinel):
            return offset
    return None


MEMINFO_OFFSET = _meminfo_offset()


def _define_fast_boxing() -> None:
    utils = structref._Utils
    make = BookState._numba_box_

    @box(BookStateType)
    def _box(typ: Any, val: Any, c: Any) -> Any:
        meminfo = utils(c.context, c.builder, typ).get_struct_ref(val).meminfo
        boxed = c.box(types.MemInfoPointer(types.voidptr), meminfo)
        ctor = c.pyapi.unserialize(c.pyapi.serialize_object(make))
        ty = c.pyapi.unserialize(c.pyapi.serialize_object(typ))
        res = c.pyapi.call_function_objargs(ctor, [ty, boxed])
        for obj in (ctor, ty, boxed):
            c.pyapi.decref(obj)
        return res

    @unbox(BookStateType)
    def _unbox(typ: Any, obj: Any, c: Any) -> Any:
        i64 = ir.IntType(64)
        addr = c.builder.add(c.builder.ptrtoint(obj, i64), ir.Constant(i64, MEMINFO_OFFSET))
        mi_obj = c.builder.load(c.builder.inttoptr(addr, c.pyapi.pyobj.as_pointer()))
        mi = c.pyapi.nrt_meminfo_from_pyobject(mi_obj)  # takes a reference, like Numba's own
        value = utils(c.context, c.builder, typ).new_struct_ref(mi)._getvalue()
        return NativeValue(value, is_error=cgutils.is_null(c.builder, mi))


if MEMINFO_OFFSET is None:
    structref.define_boxing(BookStateType, BookState)
else:
    _define_fast_boxing()


@njit(cache=True)
def _get_hdr(st):
    return _owned_field(st, "hdr")


@njit(cache=True)
def _get_oq(st):
    return _owned_field(st, "oq")


@njit(cache=True)
def _get_oc(st):
    return _owned_field(st, "oc")


@njit(cache=True)
def _get_ix_vals(st):
    return _owned_field(st, "ix_vals")


@njit(cache=True)
def _get_lv(st):
    return _owned_field(st, "lv")


@njit(cache=True)
def _get_lx(st):
    return _owned_field(st, "lx")


@njit(cache=True)
def _get_ld(st):
    return _owned_field(st, "ld")


@njit(cache=True)
def _get_sx(st):
    return _owned_field(st, "sx")


@njit(cache=True)
def _get_tr(st):
    return _owned_field(st, "tr")


@njit(cache=True)
def _get_ev(st):
    return _owned_field(st, "ev")


@njit(cache=True)
def _get_sp(st):
    return _owned_field(st, "sp")


@njit(cache=True)
def _get_ring(st):
    return _owned_field(st, "ring")


class _PyBookState:
    """Stand-in for ``BookState`` when the JIT is disabled: same fields, plain attributes."""

    __slots__ = _FIELDS

    def __init__(self, *arrays: np.ndarray) -> None:
        for name, array in zip(_FIELDS, arrays, strict=True):
            setattr(self, name, array)


_I64_1 = types.Array(types.int64, 1, "C")
_I64_2 = types.Array(types.int64, 2, "C")
#: the one concrete type of the state: field types fixed, so kernels compile once and cache
STATE_TYPE = BookStateType(
    [
        ("hdr", _I64_1),
        ("oq", _I64_2),
        ("oc", _I64_2),
        ("ix_vals", types.Array(types.int32, 1, "C")),
        ("lv", types.Array(types.int64, 3, "C")),
        ("lx", types.Array(types.int64, 4, "C")),
        ("ld", types.Array(types.int64, 3, "C")),
        ("tr", _I64_2),
        ("ev", typeof(np.zeros(1, COMMAND_DTYPE))),
        ("sp", _I64_2),
        ("sx", _I64_2),
        ("ring", _I64_1),
    ]
)


@njit(cache=True)
def _make(hdr, oq, oc, ix_vals, lv, lx, ld, tr, ev, sp, sx, ring):
    # a cached constructor: Numba's generated one recompiles in every process (~0.5 s)
    st = structref.new(STATE_TYPE)
    st.hdr = hdr
    st.oq = oq
    st.oc = oc
    st.ix_vals = ix_vals
    st.lv = lv
    st.lx = lx
    st.ld = ld
    st.tr = tr
    st.ev = ev
    st.sp = sp
    st.sx = sx
    st.ring = ring
    return st


def state_from_fields(*arrays: np.ndarray) -> Any:
    """Bundle arrays (in ``STATE_FIELDS`` order, layout already checked) into a state."""
    if config.DISABLE_JIT:
        return _PyBookState(*arrays)
    return _make(*arrays)


def new_state(
    order_capacity: int = 1024, level_capacity: int = 64, record_events: bool = True
) -> Any:
    """Allocate an empty book; arrays grow by doubling when the book needs more room."""
    hdr = np.zeros(HDR_SIZE, np.int64)
    hdr[0] = 1  # H_NEXT_ID: ids start at 1
    hdr[2] = 1  # H_NEXT_TRADE_ID
    hdr[H_FREE] = -1
    order_capacity = 1 << max(4, (order_capacity - 1).bit_length())  # a power of two
    index_size = 2 * order_capacity
    events = 1024 if record_events else 0
    hdr[H_IX_BITS] = index_size.bit_length() - 1
    hdr[H_RECORD] = int(record_events)
    hdr[H_CAP_ORDERS] = order_capacity
    hdr[H_CAP_INDEX] = index_size
    hdr[H_CAP_LEVELS] = level_capacity
    hdr[H_CAP_EVENTS] = events if record_events else 1 << 62  # no log: never short of room
    hdr[H_CAP_STOPS] = 16
    chunks = max(4, level_capacity // 16)
    hdr[H_CAP_CHUNKS] = chunks
    hdr[H_TOP] = hdr[H_TOP + 1] = -1
    hdr[H_LV_FREE] = hdr[H_LV_FREE + 1] = -1
    arrays = (
        hdr,
        np.zeros((order_capacity, 8), np.int64),
        np.zeros((order_capacity, 2), np.int64),
        np.full(index_size, EMPTY_SLOT, np.int32),
        np.zeros((2, level_capacity, 5), np.int64),
        np.zeros((2, chunks, 2, CHUNK), np.int64),
        np.zeros((2, 4, chunks), np.int64),
        np.zeros((256, TRADE_COLS), np.int64),
        np.zeros(events, COMMAND_DTYPE),
        np.zeros((16, STOP_COLS), np.int64),
        np.zeros((3, 16), np.int64),
        np.zeros(MAX_ATR_PERIOD, np.int64),
    )
    if config.DISABLE_JIT:
        return _PyBookState(*arrays)
    return _make(*arrays)
