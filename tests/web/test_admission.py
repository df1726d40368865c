"""Admission per project: a share of requests in progress, refused at once beyond it."""

from contextlib import ExitStack

import pytest

from host.errors import ProjectBusy
from host.web.admission import ProjectSlots


def test_a_project_holds_at_most_its_share() -> None:
    slots = ProjectSlots(2)
    with ExitStack() as held:
        held.enter_context(slots.hold("a"))
        held.enter_context(slots.hold("a"))
        with pytest.raises(ProjectBusy, match="2 requests in progress"), slots.hold("a"):
            pass
        with slots.hold("b"):  # another project has its own share
            pass


def test_a_slot_is_given_back_even_when_the_request_fails() -> None:
    slots = ProjectSlots(1)
    with pytest.raises(RuntimeError), slots.hold("a"):
        raise RuntimeError("the guest trapped")
    with slots.hold("a"):
        pass
