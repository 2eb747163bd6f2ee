"""A backend is one typed function plus its identity.

The author writes::

    class Params(Parameters):
        message: str = param("hello", label="Message")

    class Result(Outputs):
        echoed: str = output(label="Echoed message")

    def run(params: Params, ctx: RunContext) -> Result:
        ...

    backend = Backend(run, slug="echo", version=__version__)

and ``python -m <package>`` calls ``backend.main()``. The parameter and output
models are read from the function's annotations (as cog's SDK does), so they
are declared exactly once.

``prestart=`` is for a backend whose engine is slow to start: a callable (standard
library only) that starts the engine ahead of the run, so that it initialises while
the process is still importing. Its ``__main__`` calls it before importing the backend
(and with it pydantic and this runtime); a launcher that has imported the backend
already and forks the run's process from its own (the harness's zygote) calls
``Backend.prestart`` as soon as it has forked (and ``purelms run`` may call it by name
first thing, from the last run's record). It must be safe to call twice in a process
(the second call finds the first's engine), must start nothing that outlives the
process that called it, and the function must run correctly when no engine was
prestarted (a test, a service, a platform without what the prestart needs). What it
returns may have a ``descriptors()`` method naming the file descriptors the run will need;
a launcher that forks the run's process keeps those open.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, get_type_hints

from pydantic import BaseModel

from ._context import RunContext
from ._fields import Outputs, Parameters
from ._process import exit_process
from ._supervisor import run_backend

__all__ = ["Backend"]

P = TypeVar("P", bound=Parameters)
R = TypeVar("R", bound=Outputs)


class Backend(Generic[P, R]):
    """A backend's function, its parameter and output models, slug and version."""

    def __init__(
        self,
        function: Callable[[P, RunContext], R],
        *,
        slug: str,
        version: str | None = None,
        distribution: str | None = None,
        prestart: Callable[[], object] | None = None,
    ) -> None:
        if (version is None) == (distribution is None):
            raise TypeError(
                "Backend needs exactly one of version= (a string) or distribution= (the "
                "installed distribution whose version is the backend's, read on first use)"
            )
        hints = get_type_hints(function)
        parameters = list(inspect.signature(function).parameters)
        if len(parameters) != 2:
            raise TypeError(f"{function.__qualname__} must take (params, ctx), got {parameters}")
        params_model = hints.get(parameters[0])
        outputs_model = hints.get("return")
        if not (isinstance(params_model, type) and issubclass(params_model, Parameters)):
            raise TypeError(
                f"{function.__qualname__}: first argument must be annotated with a "
                "purelms_runtime.Parameters subclass"
            )
        if not (isinstance(outputs_model, type) and issubclass(outputs_model, Outputs)):
            raise TypeError(
                f"{function.__qualname__}: return type must be a purelms_runtime.Outputs subclass"
            )
        self.function = function
        self.prestart = prestart
        self.slug = slug
        self.distribution = distribution
        self._version = version
        self.parameters_model: type[P] = params_model  # type: ignore[assignment]
        self.outputs_model: type[R] = outputs_model  # type: ignore[assignment]

    @property
    def version(self) -> str:
        """The backend's version: ``version=`` as given, or its distribution's.

        Read from the installed distribution on first use rather than at import, because
        importing importlib.metadata costs every backend process tens of milliseconds
        at start, and a run never needs the version (the harness and the manifest do).
        """
        if self._version is None:
            from importlib.metadata import version

            assert self.distribution is not None
            self._version = version(self.distribution)
        return self._version

    def validate_parameters(self, raw: Mapping[str, Any]) -> P:
        """Validate raw envelope parameters; raises pydantic.ValidationError."""
        return self.parameters_model.model_validate(dict(raw))

    def dump_outputs(self, result: BaseModel) -> dict[str, Any]:
        if not isinstance(result, self.outputs_model):
            raise TypeError(
                f"{self.function.__qualname__} returned {type(result).__name__}, "
                f"expected {self.outputs_model.__name__}"
            )
        return result.model_dump(mode="json")

    def main(self) -> None:
        """Entrypoint: run once under the runtime protocol and exit with its code."""
        exit_process(run_backend(self))
