"""Hypothesis strategies over the builders in cases.py.

Each example is one draw of bytes that a ``ByteChooser`` reads the builder's
choices from: cheap to generate (a case costs about a millisecond, so the
suite can try tens of thousands), and a failing example shrinks, byte by byte
towards zeros, to the plainest request that still gets past the guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from tests.guard.cases import Attack, Ordinary
from tests.guard.choices import ByteChooser
from tests.guard.drafts import DEFAULT_TARGET, Target

T = TypeVar("T")

# More than the longest case takes (the most seen: 560 bytes; most take under 200).
CHOICE_BYTES = 768


_CHOICES = st.integers(0, 256**CHOICE_BYTES - 1)


@st.composite
def built(draw: st.DrawFn, builder: Callable[..., T], *args: Any) -> T:
    """Examples ``builder(chooser, *args)``. The bytes are drawn as one big
    integer: hypothesis makes that with one call to its random source
    (``st.binary`` makes its bytes one at a time), and shrinking the integer
    zeroes the leading bytes, the first and most telling choices. A failing
    example prints as the case it built, not as the integer."""
    return builder(ByteChooser(draw(_CHOICES).to_bytes(CHOICE_BYTES, "big")), *args)


def attacks(builder: Callable[..., Attack],
            target: Target = DEFAULT_TARGET) -> st.SearchStrategy[Attack]:
    return built(builder, target)


def ordinary_requests(builder: Callable[..., Ordinary]) -> st.SearchStrategy[Ordinary]:
    return built(builder, DEFAULT_TARGET)
