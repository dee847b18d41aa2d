"""The naive build's handler (function/Dockerfile.naive): app.py's handler, with the import the
optimized build defers done at module scope, the way such code usually starts out. Module scope
runs at init, so every cold start of this build loads pydantic, even for the GET routes that
never validate anything; app.py loads it on the first POST /items instead. `gate perf` A/B
under the Runtime Interface Emulator measures what that costs (tests/perf_rie_ab.rs)."""

from pydantic import BaseModel, Field, ValidationError  # noqa: F401 -- eager: at init

from app import handler  # noqa: F401 -- the same function
