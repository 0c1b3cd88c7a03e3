"""`coordspec explore`: step through a protocol and its traces in the browser.

A local web server (`model_check.explore.app`, Starlette on uvicorn) over one model
(`model_check.explore.session.Explorer`): the page (`static/`, plain HTML, CSS and a
little JavaScript, no build step and nothing fetched from elsewhere) shows the state a
path of steps reaches, every candidate action there (the enabled ones clickable, the
honest and the adversary's apart, each disabled one with the guard that refuses it and
the guard's reason), each property's value, the path as a message sequence chart (the
generator of `coordspec diagram --trace`), the phase machine with the state's phase
lit, and traces: loaded from `check --trace-out` / `--witness-out` files, or found on
demand by a check from the current state, which runs in a process of its own
(`model_check.explore.jobs`) so that stepping stays quick while it runs.

A path is the list of choices from the root, as TLC's traces are stored: the index of
the initial state in `Model.initial()`, then at each state the index of the action taken
in `Model.enabled(state)` (honest actions first, then the adversary's). Models list
both in a deterministic order, so a path names the same behaviour on every run: the
page's URL (`?path=0.3.1&at=2`) is shareable.
"""
