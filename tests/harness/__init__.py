"""What the test modules share, so that no test module imports another.

- `profiles`: the hypothesis settings of the state machines (the profiles themselves
  are registered in `tests/conftest.py`).
- `specs`: verdicts by name, replaying a trace through a spec, the refinement step of
  the implementation tests, the spec's declared model bounds.
- `pbft`, `weighted`, `iterative`: driving each protocol's implementation from spec
  actions and configurations.
- `vectors`: the bounds at which the tests generate the test vectors.
"""
