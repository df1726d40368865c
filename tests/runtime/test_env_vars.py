"""`env.vars()`: the guest gets the variables of the request being served, nothing outside one."""

import pytest

from host.errors import GuestTrapped
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get


@pytest.mark.parametrize(
    "env",
    [[], [("GREETING", "héllo wörld")], [(f"VAR_{n}", "x" * 5000) for n in range(128)]],
    ids=["none", "one", "many"],
)
def test_the_guest_reads_the_variables_of_its_request(
    env: list[tuple[str, str]], loader: Loader, sandbox: Sandbox, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.ENV_VARS)
    response = sandbox.fetch(worker, Scope(env=env), output, get())
    assert (response.status, response.headers) == (200, [*env, ("content-type", "text/plain")])


def test_outside_a_request_the_scope_refuses() -> None:
    from host.runtime.linker import NoRequest

    with pytest.raises(GuestTrapped, match="outside any request"):
        NoRequest().env_vars()


def test_a_guest_expecting_another_shape_of_vars_traps_when_it_asks(
    loader: Loader, sandbox: Sandbox, output: GuestOutput
) -> None:
    wrong = wat_guests.ENV_VARS.replace(
        '(export "vars" (func (result (list (tuple string string)))))',
        '(export "vars" (func (result string)))',
    )
    worker = compiled(loader, wrong)
    sandbox.check_starts(worker)  # declaring it is no harm; the call is refused
    with pytest.raises(GuestTrapped):
        sandbox.fetch(worker, Scope(env=[("A", "1")]), output, get())
