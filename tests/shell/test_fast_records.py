"""The parser builds its records without the dataclass ``__init__`` (speed):
they must be the very objects the real constructors build."""

import dataclasses
import pickle

from dockeropt.shell import AndOrList, Pipeline, SimpleCommand, Word, parse_shell
from dockeropt.shell import parser as P


def same(fast, real) -> None:
    assert type(fast) is type(real)
    assert fast == real and hash(fast) == hash(real) and repr(fast) == repr(real)
    assert list(vars(fast).items()) == list(vars(real).items())
    assert [f.name for f in dataclasses.fields(real)] == list(vars(fast))
    assert pickle.dumps(fast) == pickle.dumps(real)


def test_word():
    same(P._word("'a'*", "a*", 3, 7, True), Word("'a'*", "a*", 3, 7, True))
    same(P._word("$x", None, 0, 2, False), Word("$x", None, 0, 2))


def test_simple_command():
    w = Word("ls", "ls", 0, 2)
    ctx = P._Ctx(top_level=True, in_subshell=False, in_pipeline=True, in_condition=False, in_function=True)
    same(
        P._simple_command((w,), (), (), 0, 2, ctx),
        SimpleCommand((w,), (), (), 0, 2, in_pipeline=True, in_function=True, top_level=True),
    )


def test_pipeline_and_list():
    cmd = parse_shell("a | b").commands[0]
    same(P._pipeline(0, 5, (cmd,), True), Pipeline(0, 5, (cmd,), True))
    p = Pipeline(0, 1, (cmd,))
    same(P._and_or_list(0, 6, (p, p), ("&&",), ";"), AndOrList(0, 6, (p, p), ("&&",), ";"))
    same(P._and_or_list(0, 1, (p,), (), None), AndOrList(0, 1, (p,), ()))


def test_parsed_records_equal_rebuilt_ones():
    """Every record of a parse equals a copy made with the real constructor."""
    s = parse_shell("A=1 f x 'y'* >o && { g | h; } || ! i $(j) & k\n")
    assert s.ok
    records = [*s.commands, *(w for c in s.commands for w in (*c.argv, *c.assignments))]
    for lst in s.lists:
        records.append(lst)
        records.extend(lst.pipelines)
    for r in records:
        same(r, dataclasses.replace(r))


def test_collector_state_is_restored():
    import gc

    assert gc.isenabled()
    parse_shell.__wrapped__("a && b")
    assert gc.isenabled()
    parse_shell.__wrapped__("a &&")  # not ok
    assert gc.isenabled()
    gc.disable()
    try:
        parse_shell.__wrapped__("a && b")
        assert not gc.isenabled()
    finally:
        gc.enable()
