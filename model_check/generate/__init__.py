"""Test vectors for other implementations: what `coordspec generate` writes.

The layout follows the Ethereum consensus-specs test formats (STYLE.md): one directory
per case, `DIR/<protocol>/<action>/<case>/`, holding

- `pre.json`: the spec state before the event, as an ITF state record (one entry per
  state variable, values in ITF: `{"#bigint": ...}`, `#set`, `#map`, ...);
- `action.json`: the event: `mbt::actionTaken` and `mbt::nondetPicks` as Quint's `--mbt`
  mode writes them, the seed's `event_type`/`event_data` form where the protocol has
  one (`model_check.event_codec`), and the verdict: `"valid": true`, or `"valid": false`
  with the `guard` that rejects the event and the spec's `reason` (from its `GuardError`);
- `post.json`: the state after the event, present exactly when the event is valid
  (consensus-specs: "post absent when the input must be rejected").
- `history.itf.json`: a shortest run from an initial state to `pre`, as an ITF trace,
  for implementations that can only reach a state by replaying events.

Multi-step cases (`DIR/<protocol>/_multi_step/<witness>/`) are the shortest run to each of
the model's witnesses: `pre.json` (the initial state), `steps.json` (the events in order,
each marked `valid`, each valid one with the state it leads to, ending with one event
that must be rejected there), `post.json`, the same run as ITF (`trace.itf.json`) and,
where the protocol has the seed's event form, as a JSON Lines event log (`events.jsonl`).
Cases for the seed's event decoding (an unknown event type, malformed event data) are
under `DIR/<protocol>/_events/`. With `--per-agent`, each single-step case also has
`agent.json`: the case as one participant sees it (`per_agent`). `DIR/manifest.json`
lists, for every protocol generated into DIR, the configuration, the counts per action
and per guard, the coverage and the per-agent forms, and every case with its files (a
case rejected by a guard that only expresses a bound of the model is marked
`"bound": true`). The JSON Schemas of all these files are in `model_check/schemas/`.

The package, by job: `search` (the breadth-first search that chooses the cases, with
`probes`, the perturbed and made-up actions it tries), `vectors` (what it finds),
`files` (the JSON forms, the files and the manifest), `per_agent` (the per-agent forms,
with `session` for the protocols that declare a session form), `validation` (the files
against the schemas) and `command` (`coordspec generate` itself).
"""

from model_check.event_codec import event_action, event_form, plain
from model_check.generate.command import coverage_lines, run
from model_check.generate.files import (
    action_json,
    case_files,
    manifest,
    prepare_out,
    read_manifest,
    state_record,
    write,
)
from model_check.generate.per_agent import AGENT_FILE, AgentFiles, agent_files
from model_check.generate.search import config_json, generate, kinds_of
from model_check.generate.session import session_action
from model_check.generate.validation import FILE_SCHEMAS, validate_vectors
from model_check.generate.vectors import (
    COVERED,
    DEFAULT_CAP,
    DEFAULT_MAX_STATES,
    EVENTS_DIR,
    EXHAUSTED,
    FORMAT,
    MANIFEST,
    MULTI_STEP,
    VERSION,
    Case,
    Coverage,
    EventCase,
    GenerateError,
    MultiStep,
    Uncovered,
    Vectors,
)
from spec.jsonform import read_fraction as fraction

__all__ = [
    "AGENT_FILE",
    "COVERED",
    "DEFAULT_CAP",
    "DEFAULT_MAX_STATES",
    "EVENTS_DIR",
    "EXHAUSTED",
    "FILE_SCHEMAS",
    "FORMAT",
    "MANIFEST",
    "MULTI_STEP",
    "VERSION",
    "AgentFiles",
    "Case",
    "Coverage",
    "EventCase",
    "GenerateError",
    "MultiStep",
    "Uncovered",
    "Vectors",
    "action_json",
    "agent_files",
    "case_files",
    "config_json",
    "coverage_lines",
    "event_action",
    "event_form",
    "fraction",
    "generate",
    "kinds_of",
    "manifest",
    "plain",
    "prepare_out",
    "read_manifest",
    "run",
    "session_action",
    "state_record",
    "validate_vectors",
    "write",
]
