"""Kernel answers boxed straight into the result objects the Exchange returns.

A hot kernel used to answer a plain tuple, which the Exchange then copied into a
``SubmitResult`` (a tuple subclass), with the trade log appended when the order traded: two
objects per call, ~100-150 ns of a ~500 ns submit. Here a kernel wraps its answer with
``submit_answer`` / ``cancel_answer`` and Numba's boxing builds the ``SubmitResult`` /
``CancelResult`` itself, trade log included: one object, no copy.

How: the answer is a small Numba type (a struct of int64 fields) whose ``box`` allocates an
instance of the result class with ``PyType_GenericAlloc`` and fills its items. The class
object reaches the compiled code through an external symbol registered with LLVM before any
kernel is compiled or loaded from the cache, so cached machine code holds no process-specific
address. With ``NUMBA_DISABLE_JIT=1`` the same functions run as Python and build the same
objects.
"""

from __future__ import annotations

import ctypes
from typing import Any

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.core.extending import box, intrinsic, models, overload, register_model

from tickbook.book._results import CancelResult, SubmitResult

__all__ = ["cancel_answer", "submit_answer"]

_SUBMIT_SYMBOL = "tickbook_book_submit_result_class"
_CANCEL_SYMBOL = "tickbook_book_cancel_result_class"
# C pointers to the classes, alive (and the classes referenced) for the life of the process
_CLASS_POINTERS = (ctypes.py_object(SubmitResult), ctypes.py_object(CancelResult))
binding.add_symbol(_SUBMIT_SYMBOL, ctypes.addressof(_CLASS_POINTERS[0]))
binding.add_symbol(_CANCEL_SYMBOL, ctypes.addressof(_CLASS_POINTERS[1]))

_SUBMIT_FIELDS = 7  # the answer's ints; the object pointer comes after them


def submit_answer(answer: tuple[int, ...], log: int) -> SubmitResult:
    """Wrap a kernel's 7-field order answer and the trade log as a ``SubmitResult``.

    ``log`` is the address of the owning exchange's ``TradeLog`` (the state's header keeps
    it; the exchange holds the object while kernels run), 0 for none: the result's eighth
    item when the order traded, through which ``trades`` reads its rows (``None`` otherwise,
    so that results without trades compare as plain values).
    """
    traded = log != 0 and answer[5] != answer[6]
    trade_log = ctypes.cast(int(log), ctypes.py_object).value if traded else None
    return tuple.__new__(SubmitResult, (*answer, trade_log))


def cancel_answer(code: int, quantity: int) -> CancelResult:
    """Wrap a kernel's (code, quantity) cancel answer as a ``CancelResult``.

    ``code`` 0 gives ``(True, quantity, None)``; a refusal gives ``(False, code, None)``,
    which the Exchange turns into the error before a user sees it.
    """
    if code == 0:
        return tuple.__new__(CancelResult, (True, quantity, None))
    return tuple.__new__(CancelResult, (False, code, None))


class _AnswerType(types.Type):
    def __init__(self, kind: str, n_fields: int) -> None:
        self.kind = kind
        self.n_fields = n_fields
        super().__init__(name=f"tickbook.{kind}Answer")


_SUBMIT = _AnswerType("Submit", _SUBMIT_FIELDS + 1)
_CANCEL = _AnswerType("Cancel", 2)


@register_model(_AnswerType)
class _AnswerModel(models.StructModel):
    def __init__(self, dmm: Any, fe_type: _AnswerType) -> None:
        members = [(f"f{i}", types.int64) for i in range(fe_type.n_fields)]
        super().__init__(dmm, fe_type, members)


def _pack(answer_type: _AnswerType, arg_types: tuple[Any, ...]) -> Any:
    """Build the answer struct from int64-castable values."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        out = cgutils.create_struct_proxy(answer_type)(context, builder)
        for i, (typ, value) in enumerate(zip(arg_types, args, strict=True)):
            setattr(out, f"f{i}", context.cast(builder, value, typ, types.int64))
        return out._getvalue()

    return codegen


@intrinsic
def _as_submit(typingctx: Any, answer: Any, log: Any) -> Any:
    if not isinstance(answer, types.BaseTuple) or len(answer) != _SUBMIT_FIELDS:
        return None
    items = (*answer, log)
    if not all(isinstance(t, types.Integer) for t in items):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        values = [builder.extract_value(args[0], i) for i in range(_SUBMIT_FIELDS)]
        return _pack(_SUBMIT, items)(context, builder, sig, [*values, args[1]])

    return _SUBMIT(answer, log), codegen


@intrinsic
def _as_cancel(typingctx: Any, code: Any, quantity: Any) -> Any:
    if not (isinstance(code, types.Integer) and isinstance(quantity, types.Integer)):
        return None
    return _CANCEL(code, quantity), _pack(_CANCEL, (code, quantity))


# (no annotations on overloads: Numba compares them with the Python function's signature)
@overload(submit_answer, jit_options={"cache": True})
def _submit_answer_impl(answer, log):
    return lambda answer, log: _as_submit(answer, log)


@overload(cancel_answer, jit_options={"cache": True})
def _cancel_answer_impl(code, quantity):
    return lambda code, quantity: _as_cancel(code, quantity)


def _class_of(c: Any, symbol: str) -> Any:
    module = c.builder.module
    slot = module.globals.get(symbol)
    if slot is None:
        slot = ir.GlobalVariable(module, c.pyapi.pyobj, name=symbol)
        slot.linkage = "external"
    return c.builder.load(slot)


def _alloc(c: Any, symbol: str, n_items: int) -> Any:
    fnty = ir.FunctionType(c.pyapi.pyobj, [c.pyapi.pyobj, c.pyapi.py_ssize_t])
    alloc = cgutils.get_or_insert_function(c.builder.module, fnty, "PyType_GenericAlloc")
    return c.builder.call(alloc, [_class_of(c, symbol), ir.Constant(c.pyapi.py_ssize_t, n_items)])


@box(_AnswerType)
def _box_answer(typ: _AnswerType, val: Any, c: Any) -> Any:
    fields = cgutils.create_struct_proxy(typ)(c.context, c.builder, value=val)
    if typ.kind == "Submit":
        obj = _alloc(c, _SUBMIT_SYMBOL, _SUBMIT_FIELDS + 1)
        with c.builder.if_then(cgutils.is_not_null(c.builder, obj), likely=True):
            for i in range(_SUBMIT_FIELDS):
                c.pyapi.tuple_setitem(obj, i, c.pyapi.long_from_longlong(getattr(fields, f"f{i}")))
            # the log only where the order traded: results without trades stay plain values
            log = getattr(fields, f"f{_SUBMIT_FIELDS}")
            none = c.builder.or_(
                c.builder.icmp_signed("==", log, ir.Constant(log.type, 0)),
                c.builder.icmp_signed("==", fields.f5, fields.f6),
            )
            item = c.builder.select(
                none, c.pyapi.borrow_none(), c.builder.inttoptr(log, c.pyapi.pyobj)
            )
            c.pyapi.incref(item)
            c.pyapi.tuple_setitem(obj, _SUBMIT_FIELDS, item)
        return obj
    obj = _alloc(c, _CANCEL_SYMBOL, 3)
    with c.builder.if_then(cgutils.is_not_null(c.builder, obj), likely=True):
        code = fields.f0
        ok = c.builder.icmp_signed("==", code, ir.Constant(code.type, 0))
        quantity = c.builder.select(ok, fields.f1, code)
        c.pyapi.tuple_setitem(obj, 0, c.pyapi.bool_from_bool(ok))
        c.pyapi.tuple_setitem(obj, 1, c.pyapi.long_from_longlong(quantity))
        c.pyapi.tuple_setitem(obj, 2, c.pyapi.make_none())
    return obj
