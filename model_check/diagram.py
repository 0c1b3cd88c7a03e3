"""Diagrams drawn from the spec: phase machines of explored graphs, charts of traces.

DESIGN.md, "Readers": the protocols are learnt from diagrams generated from the code,
never drawn by hand. Two kinds, both as graphviz DOT text (the `graphviz` package) and
rendered to SVG by graphviz's `dot`:

- **The phase machine** (`phase_machine`, `phase_dot`): the checker explores every
  reachable state (`model_check.engine.check`, with the model's symmetry) and each
  explored transition is projected on the model's phase variables (`Model.phase`, such
  as one participant's idle / prepared / committed / executed phases). The nodes are the
  phases met, in the order the breadth-first search met them; an edge joins two
  different phases when some transition moves from one to the other, labelled with
  who took it and the action, `who: action` (sorted; who is `Model.actor`, else the
  actor argument below). Steps that stay in their phase are not drawn. Actions only the
  adversary takes are a dashed red edge. A legend says what a node is (the first
  paragraph of the model's `phase` docstring) and what the two kinds of edge are.
- **The message sequence chart** (`trace_chart`, `chart_dot`) of an ITF trace (what
  `coordspec check --trace-out` writes, or any ITF file with Quint's `mbt::` variables),
  read untyped with `model_check.itf.decode_plain`, so it needs no model. One lifeline
  per participant and one for the environment; each step is a box on its actor's
  lifeline (red when the adversary took it), with arrows to the participants it sends
  to. The property the trace violates (`#meta`: `property`, `kind`) is marked at the
  last step, and a lasso's loop at the state the cycle returns to. With the model of
  the trace's protocol (`trace_diagram` rebuilds it from `#meta`'s `protocol` and
  `params`), the adversary's messages each step counted (`Model.relied_on`) are
  red dashed arrows labelled `faulty: ...` from the faulty sender's lifeline, itself
  marked `(faulty)`.

Values in labels are written by `model_check.report.show`, the reports' one notation
(ITF values read without their types are first made ready for it by `plain_value`).

Who takes a step and whom it sends to is read from the action's arguments, by this
convention (the trace carries no more than that):

- the actor is the first argument named one of `ACTOR_FIELDS` (`replica`, `agent`,
  `from_agent`, `sender`, ...); a step without one is the environment's (clients,
  timers, the session's own events);
- the receiver is the first argument named one of `RECEIVER_FIELDS` (`target_agent`,
  `receiver`, `to`, ...): an arrow from the actor to it;
- otherwise a step that adds elements to a set-valued variable sends a message to
  everyone (a model that keeps the set of all messages sent): arrows from the actor to
  every other participant; any other step is local (a box only).

Participants numbered by integers get lifelines 0..the highest number seen, so a
participant that never acts (a silent faulty one) still has its lifeline.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import graphviz

from model_check.conform import meta_params
from model_check.delegate import Delegating
from model_check.engine import Options, Progress, check
from model_check.itf import FrozenMap, ItfError, decode_plain, decode_trace, load_json
from model_check.report import Tag, relied_on, show
from spec.core import (
    ACTOR_FIELDS,
    Config,
    Eventually,
    Invariant,
    Model,
    Reliance,
    SpecError,
    Specification,
    Witness,
    action_args,
    action_name,
    make_config,
    params_of,
)

#: Argument names that say which participant takes a step, in order of preference.
#: Argument names that say which participant a step sends to.
RECEIVER_FIELDS = ("target_agent", "to_agent", "receiver", "to", "dest", "target")
#: The lifeline of steps that no participant takes.
ENVIRONMENT = "environment"
#: Arguments longer than this are cut in chart labels.
MAX_ARG_CHARS = 48
#: Chart labels are wrapped at this many characters, in cells this wide (inches).
WRAP_CHARS = 30
CELL_WIDTH = "2.3"
#: The labels of faulty messages' arrows are wrapped at this many characters.
FAULTY_WRAP = 44
#: The colour of the adversary's steps and of the faulty participants' messages.
ADVERSARY = "red3"

_FONT = "Helvetica"


class DiagramError(Exception):
    """A diagram cannot be drawn (no phases declared, a malformed trace, no `dot`)."""


# --- the phase machine -------------------------------------------------------------


@attrs.frozen
class PhaseEdge:
    """Transitions from one phase to another: who takes them with which action, each
    `who: action` (`replica 1: prepare`), the honest ones and the adversary's apart."""

    source: str
    target: str
    honest: tuple[str, ...]
    byzantine: tuple[str, ...]


@attrs.frozen
class PhaseMachine:
    """The explored state graph projected on the phase variables.

    Attributes:
        phases: every phase met, in the order the breadth-first search met it.
        initial: the phases of the initial states.
        edges: the phase changes, ordered by source then target (as in `phases`).
        distinct_states: the states explored (symmetry-reduced when `symmetry`).
        complete: whether every reachable state was explored.
        node: what a node is (the first line of the model's `phase` docstring).
    """

    phases: tuple[str, ...]
    initial: tuple[str, ...]
    edges: tuple[PhaseEdge, ...]
    distinct_states: int
    complete: bool
    symmetry: bool
    node: str = ""


class _Unjudged(Delegating):
    """The model with no properties: the diagram needs its graph, not its verdicts."""

    def invariants(self) -> Sequence[Invariant[Any]]:
        return ()

    def witnesses(self) -> Sequence[Witness[Any]]:
        return ()

    def eventually(self) -> Sequence[Eventually[Any]]:
        return ()


def phase_machine(
    model: Model[Any, Any],
    symmetry: bool | None = None,
    max_states: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> PhaseMachine:
    """Explore `model` and project every transition on `model.phase`.

    Args:
        model: the model; it must declare `phase`.
        symmetry: symmetry reduction (None: the model's default).
        max_states: stop after this many distinct states (the machine is then partial).

    Raises:
        DiagramError: the model declares no phases.
        model_check.engine.CheckerError: the model broke the contract.
    """
    order: dict[str, int] = {}
    found: dict[tuple[str, str], tuple[set[str], set[str]]] = {}

    def meet(phase: str | None) -> str:
        if phase is None:
            raise DiagramError(f"{type(model).__name__} declares no phases (spec.core.Model.phase)")
        order.setdefault(phase, len(order))
        return phase

    initial = []
    for state in model.initial():
        if model.constraint(state):
            phase = meet(model.phase(state))
            if phase not in initial:
                initial.append(phase)

    expanding: list[Any] = [None, ""]  # the state being expanded and its phase
    reduced = model.symmetry_default if symmetry is None else symmetry
    reduced = reduced and model.has_symmetry()

    def on_edge(state: Any, action: Any, byzantine: bool, successor: Any) -> None:
        if state is not expanding[0]:
            expanding[:] = [state, meet(model.phase(state))]
        source, target = expanding[1], meet(model.phase(successor))
        if source != target:
            names = found.setdefault((source, target), (set(), set()))
            who = actor_name(model, action, byzantine, reduced)
            names[1 if byzantine else 0].add(f"{who}: {action_name(action)}")

    options = Options(
        max_states=max_states,
        symmetry=symmetry,
        check_deadlock=False,
        check_liveness=False,
        stop_at_first=False,
        on_edge=on_edge,
        progress=progress,
    )
    result = check(_Unjudged(model), options)
    edges = [
        PhaseEdge(source, target, tuple(sorted(honest)), tuple(sorted(byz - honest)))
        for (source, target), (honest, byz) in found.items()
    ]
    edges.sort(key=lambda e: (order[e.source], order[e.target]))
    return PhaseMachine(
        phases=tuple(sorted(order, key=order.__getitem__)),
        initial=tuple(initial),
        edges=tuple(edges),
        distinct_states=result.distinct_states,
        complete=result.complete,
        symmetry=result.symmetry,
        node=_first_paragraph(type(model).phase.__doc__),
    )


def _first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line, without its backquotes."""
    paragraph = (doc or "").strip().split("\n\n", 1)[0]
    return " ".join(paragraph.replace("`", "").split())


def actor_name(model: Model[Any, Any], action: Any, byzantine: bool, reduced: bool) -> str:
    """Who takes `action`, as a phase machine's edge says: the model's `actor`, else the
    participant the action's arguments name (`ACTOR_FIELDS`: `agent 2`, or `agent` alone
    when the graph is symmetry-reduced, where one participant stands for those
    interchangeable with it), `faulty ...` for the adversary's; without one, the
    environment (`adversary` for the adversary's)."""
    named = model.actor(action)
    if named is not None:
        return named
    picked = _pick(action_args(action), ACTOR_FIELDS)
    if picked is None:
        return "adversary" if byzantine else ENVIRONMENT
    who = _noun(picked[0]) if reduced else _lifeline(_noun(picked[0]), picked[1])
    return f"faulty {who}" if byzantine else who


def _comment(text: str) -> str:
    """A one-line DOT comment (a comment cannot span lines)."""
    return " / ".join(text.splitlines())


def phase_dot(machine: PhaseMachine, name: str, title: str) -> str:
    """The DOT text of a phase machine; `title` heads it (the protocol and its config)."""
    dot = graphviz.Digraph(
        name,
        comment=_comment(f"generated by coordspec diagram from the spec; do not edit: {title}"),
    )
    explored = f"{machine.distinct_states:,} states explored"
    if machine.symmetry:
        explored += " (symmetry-reduced)"
    if not machine.complete:
        explored += ", incomplete"
    dot.attr(
        "graph",
        label=f"{title}\n{explored}",
        labelloc="t",
        fontname=_FONT,
        rankdir="LR",
    )
    dot.attr("node", shape="box", style="rounded", fontname=_FONT)
    dot.attr("edge", fontname=_FONT, fontsize="10")
    ids = {phase: f"p{k}" for k, phase in enumerate(machine.phases)}
    dot.node("start", "", shape="point")
    for phase in machine.phases:
        dot.node(ids[phase], phase)
    for phase in machine.initial:
        dot.edge("start", ids[phase])
    for edge in machine.edges:
        if edge.honest:
            dot.edge(ids[edge.source], ids[edge.target], "\n".join(edge.honest))
        if edge.byzantine:
            dot.edge(
                ids[edge.source],
                ids[edge.target],
                "\n".join(edge.byzantine),
                style="dashed",
                color=ADVERSARY,
                fontcolor=ADVERSARY,
            )
    _legend(dot, machine.node)
    return str(dot.source)


def _legend(dot: graphviz.Digraph, node: str) -> None:
    """The phase machine's legend: what a node is, what the two kinds of edge are."""
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontname=_FONT, fontsize="10", style="dashed", color="gray50")
        what = f"a phase: {node}" if node else "a phase (Model.phase)"
        legend.node("legend_phase", _wrap(what, 36), fontsize="10")
        legend.node("legend_start", "", shape="point")
        legend.node("legend_initial", "an initial phase", fontsize="10")
        legend.edge("legend_start", "legend_initial")
        for key, text, style in (
            ("honest", "who: action\n(solid: an honest step)", {}),
            (
                "adversary",
                "who: action\n(dashed: the adversary's step)",
                {"style": "dashed", "color": ADVERSARY, "fontcolor": ADVERSARY},
            ),
        ):
            legend.node(f"legend_{key}_from", "", shape="none", width="0.2", height="0.2")
            legend.node(f"legend_{key}_to", "", shape="none", width="0.2", height="0.2")
            legend.edge(f"legend_{key}_from", f"legend_{key}_to", text, **style)


# --- the message sequence chart -----------------------------------------------------


@attrs.frozen
class ChartStep:
    """One step of a trace as the chart draws it.

    Attributes:
        action: the action's name.
        label: the action with its arguments (actor and receiver left out).
        actor: the lifeline taking the step.
        receivers: the lifelines it sends to (empty: a local step).
        byzantine: whether the adversary took it.
        uses: the adversary's messages the step counted (`Model.relied_on`), each
            (the sender's lifeline, the message); the lifeline is None when the text
            names no sender the chart has.
    """

    action: str
    label: str
    actor: str
    receivers: tuple[str, ...]
    byzantine: bool
    uses: tuple[tuple[str | None, str], ...] = ()


@attrs.frozen
class Chart:
    """A trace as lifelines and steps, with what it violates; `faulty`: the lifelines
    some step counted a faulty message from."""

    lifelines: tuple[str, ...]
    steps: tuple[ChartStep, ...]
    loop: int | None
    violated: str | None
    title: str
    faulty: tuple[str, ...] = ()


def plain_value(value: Any) -> Any:
    """A value that `decode_plain` read (without its type) made ready for `show`: a
    record of two integers `num` and `den` is the fraction, a variant without a value
    (`(tag, ())`: an enum member, None) its `Tag`, records and maps stay `FrozenMap`s
    (shown as records, in the file's order)."""
    if isinstance(value, FrozenMap):
        num, den = value.get("num"), value.get("den")
        numbers = [x for x in (num, den) if isinstance(x, int) and not isinstance(x, bool)]
        if len(value) == 2 and len(numbers) == 2 and numbers[1]:
            return Fraction(numbers[0], numbers[1])
        return FrozenMap({plain_value(k): plain_value(v) for k, v in value.items()})
    if isinstance(value, frozenset):
        return frozenset(plain_value(v) for v in value)
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[0], str) and value[1] == ():
            return Tag(value[0])
        return tuple(plain_value(v) for v in value)
    return value


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ARG_CHARS else text[: MAX_ARG_CHARS - 3] + "..."


def _noun(field: str) -> str:
    """`from_agent` -> `agent`: the participant kind a field names."""
    for affix in ("from_", "target_", "to_"):
        field = field.removeprefix(affix)
    return field


def _pick(args: Mapping[str, Any], fields: Sequence[str]) -> tuple[str, Any] | None:
    for name in fields:
        if name in args:
            return name, args[name]
    return None


def _lifeline(noun: str, value: Any) -> str:
    return f"{noun} {show(plain_value(value))}"


def _record(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DiagramError(f"{where}: expected a JSON object")
    return obj


def trace_chart(obj: Any, model: Model[Any, Any] | None = None) -> Chart:
    """The chart of an ITF trace object (as `json.load` returns it).

    With the model of the trace's protocol, each step also shows the faulty participants'
    messages it counted (`Model.relied_on`, of the trace decoded with the model's types),
    drawn from the faulty sender's lifeline; without it, or when the trace does not
    decode as the model's, the chart is drawn from the trace alone.

    Raises:
        DiagramError: not an ITF trace with `mbt::actionTaken` (names the place).
    """
    top = _record(obj, "the trace")
    states = top.get("states")
    if not isinstance(states, list) or not states:
        raise DiagramError("states: expected a non-empty list of states")
    meta = top.get("#meta", {})
    meta = meta if isinstance(meta, dict) else {}
    loop = top.get("loop")
    if loop is not None and (
        not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop < len(states)
    ):
        raise DiagramError(f"loop: expected a state index 0..{len(states) - 1}")
    try:
        plain = [_state(_record(s, f"states[{i}]"), i) for i, s in enumerate(states)]
    except ItfError as err:
        raise DiagramError(str(err)) from None
    relied = _relied_on(obj, model) if model is not None else None
    numbered: dict[str, set[int]] = {}
    named: list[str] = []
    drafts = []
    for i in range(1, len(plain)):
        action, args, byzantine, variables = plain[i]
        actor = _pick(args, ACTOR_FIELDS)
        receiver = _pick(args, RECEIVER_FIELDS)
        parts = [p for p in (actor, receiver) if p is not None]
        # A receiver is a participant of the actor's kind (`sender` sends `to` a sender).
        noun = _noun(parts[0][0]) if parts else ""
        for _, value in parts:
            if isinstance(value, int) and not isinstance(value, bool):
                numbered.setdefault(noun, set()).add(value)
            elif _lifeline(noun, value) not in named:
                named.append(_lifeline(noun, value))
        before = plain[i - 1][3]
        sends = any(
            isinstance(v, frozenset) and isinstance(before.get(k), frozenset) and not v <= before[k]
            for k, v in variables.items()
        )
        shown = {k: v for k, v in args.items() if (k, v) not in parts}
        label = action
        if shown:
            label += "(" + ", ".join(f"{k}={_cut(show(plain_value(v)))}" for k, v in shown.items())
            label += ")"
        uses: list[tuple[str | None, str]] = []
        for reliance in relied[i] if relied else ():
            if reliance.sender is None or not noun:
                uses.append((None, str(reliance)))
                continue
            if isinstance(reliance.sender, int) and not isinstance(reliance.sender, bool):
                numbered.setdefault(noun, set()).add(reliance.sender)
            elif f"{noun} {reliance.sender}" not in named:
                named.append(f"{noun} {reliance.sender}")
            uses.append((f"{noun} {reliance.sender}", reliance.message))
        drafts.append(
            ChartStep(
                action,
                label,
                _lifeline(noun, actor[1]) if actor else ENVIRONMENT,
                (_lifeline(noun, receiver[1]),) if receiver else ("*",) if sends else (),
                byzantine,
                tuple(uses),
            )
        )
    if len(numbered) == 1:
        # Per-participant variables are tuples indexed by participant: their usual length
        # counts the participants, those that never act included.
        lengths = [len(v) for v in plain[0][3].values() if isinstance(v, tuple) and v]
        if lengths:
            count = max(lengths, key=lambda n: (lengths.count(n), n))
            numbered[next(iter(numbered))].add(count - 1)
    lifelines = [
        f"{noun} {k}"
        for noun in sorted(numbered)
        for k in range(min(0, *numbered[noun]), max(numbered[noun]) + 1)
    ]
    lifelines += sorted(named)
    if any(d.actor == ENVIRONMENT for d in drafts):
        lifelines.append(ENVIRONMENT)
    steps = [
        attrs.evolve(d, receivers=tuple(x for x in lifelines if x not in (d.actor, ENVIRONMENT)))
        if d.receivers == ("*",)  # sent to everyone: every other participant
        else d
        for d in drafts
    ]
    violated = None
    prop, kind = meta.get("property"), meta.get("kind")
    if isinstance(prop, str):
        violated = f"{kind} {prop}" if isinstance(kind, str) else prop
    protocol = meta.get("protocol")
    title = f"{protocol}: " if isinstance(protocol, str) else ""
    if violated:
        title += f"{violated} violated in {len(steps)} steps"
    else:
        title += f"a trace of {len(steps)} steps"
    params = meta.get("params")
    if isinstance(params, dict) and params:
        title += "\n" + ", ".join(f"{k}={show_json(v)}" for k, v in params.items())
    senders = {sender for step in steps for sender, _ in step.uses}
    faulty = tuple(line for line in lifelines if line in senders)
    return Chart(tuple(lifelines), tuple(steps), loop, violated, title, faulty)


def _relied_on(obj: Any, model: Model[Any, Any]) -> list[tuple[Reliance, ...]] | None:
    """`Model.relied_on` of each step of the trace, decoded with the model's types
    (None when it does not decode: a trace of another protocol or configuration)."""
    try:
        trace = decode_trace(obj, model)
    except (ItfError, SpecError):
        return None
    return relied_on(model, trace)


def show_json(value: Any) -> str:
    """A `#meta` value (plain JSON) as short text."""
    if isinstance(value, list):
        return ",".join(show_json(v) for v in value)
    return _cut(str(value))


def _state(record: dict[str, Any], i: int) -> tuple[str, dict[str, Any], bool, dict[str, Any]]:
    """(action, its arguments, Byzantine?, the variables) of one ITF state, plain."""
    where = f"states[{i}]"
    action = record.get("mbt::actionTaken", "init" if i == 0 else None)
    if not isinstance(action, str):
        raise DiagramError(f"{where}.mbt::actionTaken: expected the action's name")
    picks = decode_plain(record.get("mbt::nondetPicks", {}), f"{where}.mbt::nondetPicks")
    if not isinstance(picks, FrozenMap):
        raise DiagramError(f"{where}.mbt::nondetPicks: expected a record of arguments")
    args = {}
    for name, pick in picks.items():
        if not (isinstance(pick, tuple) and len(pick) == 2 and pick[0] == "Some"):
            raise DiagramError(f"{where}.mbt::nondetPicks.{name}: expected Some(value)")
        args[name] = pick[1]
    info = record.get("#meta", {})
    byzantine = isinstance(info, dict) and info.get("byzantine") is True
    variables = {
        k: decode_plain(v, f"{where}.{k}")
        for k, v in record.items()
        if not k.startswith("#") and not k.startswith("mbt::")
    }
    return action, args, byzantine, variables


def _wrap(text: str, width: int = WRAP_CHARS) -> str:
    """Break a label into lines of at most `width` characters, at spaces where possible."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def chart_dot(chart: Chart, name: str = "trace") -> str:
    """The DOT text of a message sequence chart.

    The lifelines run top to bottom, one column each (cells of one width, grouped per
    lifeline so that dot draws them straight); each step is a row with a box on its
    actor's lifeline, and a step that sends is followed by a row where its arrows
    arrive. A step that counted faulty participants' messages is preceded by a row from
    which they leave the faulty senders' lifelines: red dashed arrows labelled
    `faulty: MESSAGE` into the step's box (other texts `relied_on` gave are in the box).
    """
    dot = graphviz.Digraph(
        name,
        comment=_comment("generated by coordspec diagram --trace; do not edit: " + chart.title),
    )
    dot.attr(
        "graph", label=chart.title, labelloc="t", fontname=_FONT, nodesep="0.3", ranksep="0.25"
    )
    dot.attr("node", fontname=_FONT, fontsize="10", width=CELL_WIDTH)
    dot.attr("edge", fontname=_FONT, fontsize="9")
    columns = {line: k for k, line in enumerate(chart.lifelines)}
    last = len(chart.steps)
    # (step number, kind): the heads, then for each step the row its faulty messages
    # leave from (if any), its own row and the row its messages arrive at (if any).
    rows: list[tuple[int, str]] = [(0, "head")]
    for number, step in enumerate(chart.steps, start=1):
        if any(sender in columns and sender != step.actor for sender, _ in step.uses):
            rows.append((number, "faulty"))
        rows.append((number, "step"))
        if step.receivers:
            rows.append((number, "arrival"))
    rows.append((last, "end"))  # the lifelines' ends

    def cell(line: str, row: int) -> str:
        return f"l{columns[line]}r{row}"

    for row, (number, kind) in enumerate(rows):
        with dot.subgraph(name=f"row{row}") as same:
            same.attr(rank="same")
            for line in chart.lifelines:
                group = f"l{columns[line]}"
                if kind == "head":
                    faulty = {"color": ADVERSARY, "fontcolor": ADVERSARY}
                    same.node(
                        cell(line, 0),
                        f"{line}\n(faulty)" if line in chart.faulty else line,
                        group=group,
                        shape="box",
                        style="filled",
                        fillcolor="gray90",
                        **(faulty if line in chart.faulty else {}),
                    )
                    continue
                taken = chart.steps[number - 1] if kind == "step" else None
                if taken is None or taken.actor != line:
                    same.node(cell(line, row), "", group=group, shape="none", height="0.02")
                    continue
                text = _wrap(f"{number}. {taken.label}")
                style: dict[str, str] = {"shape": "box"}
                for sender, message in taken.uses:
                    if sender not in columns or sender == taken.actor:
                        text += "\n" + _wrap(f"uses: {message}")
                if taken.byzantine:
                    text += "\n(Byzantine)"
                    style.update(color=ADVERSARY, fontcolor=ADVERSARY)
                if chart.loop is not None and number == chart.loop:
                    text += "\n(the cycle starts here)"
                if chart.loop is not None and number == last:
                    text += f"\nthe cycle returns to state {chart.loop}"
                if chart.violated and number == last:
                    text += "\n" + _wrap(f"VIOLATED: {chart.violated}")
                    style.update(color=ADVERSARY, penwidth="2")
                same.node(cell(line, row), text, group=group, **style)
            # Keep the lifelines in their columns: invisible edges left to right.
            for left, right in zip(chart.lifelines, chart.lifelines[1:], strict=False):
                same.edge(cell(left, row), cell(right, row), style="invis")
    for line in chart.lifelines:
        for row in range(len(rows) - 1):
            dot.edge(
                cell(line, row), cell(line, row + 1), arrowhead="none", style="dashed", weight="100"
            )
    for row, (number, kind) in enumerate(rows):
        if kind == "arrival":
            step = chart.steps[number - 1]
            color = ADVERSARY if step.byzantine else "black"
            for receiver in step.receivers:
                dot.edge(
                    cell(step.actor, row - 1), cell(receiver, row), constraint="false", color=color
                )
        if kind == "step":
            step = chart.steps[number - 1]
            sent: dict[str, list[str]] = {}
            for sender, message in step.uses:
                if sender in columns and sender != step.actor:
                    sent.setdefault(sender, []).append(_wrap(f"faulty: {message}", FAULTY_WRAP))
            for sender, messages in sent.items():
                dot.edge(
                    cell(sender, row - 1),
                    cell(step.actor, row),
                    "\n".join(messages),
                    constraint="false",
                    style="dashed",
                    color=ADVERSARY,
                    fontcolor=ADVERSARY,
                )
    return str(dot.source)


# --- from the command line ----------------------------------------------------------


def config_values(config: object) -> dict[str, str]:
    """The configuration's parameters, values as typed on the command line."""
    if not isinstance(config, Config):
        return {}
    return {
        info.name: attrs.evolve(info, default=getattr(config, info.name)).shown_default()
        for info in params_of(type(config))
    }


def config_text(config: object) -> str:
    """The configuration as `name=value` pairs, values as typed on the command line."""
    shown = [f"{name}={value}" for name, value in config_values(config).items()]
    return ", ".join(shown) or "no parameters"


def protocol_diagram(
    spec: Specification[Any],
    values: Mapping[str, str] | None = None,
    symmetry: bool | None = None,
    max_states: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> str:
    """The DOT text of a protocol's phase machine at a configuration (defaults elsewhere).

    Raises:
        spec.core.ConfigError: a bad parameter.
        DiagramError: the model declares no phases.
    """
    config = make_config(spec.config_type, values or {})
    machine = phase_machine(spec.build(config), symmetry, max_states, progress)
    title = f"{spec.name}: {spec.summary}\n{config_text(config)}"
    return phase_dot(machine, spec.name, title)


def trace_diagram(path: Path, specs: Mapping[str, Specification[Any]] | None = None) -> str:
    """The DOT text of the message sequence chart of the ITF trace in `path`.

    When `#meta.protocol` names one of `specs` (the registered protocols), its model is
    rebuilt from `#meta.params` (as `coordspec conform` does) so that the chart shows
    what each step relied on (`Model.relied_on`); a protocol that cannot be rebuilt is
    drawn from the trace alone.

    Raises:
        DiagramError: the file is unreadable, not JSON or not an ITF trace.
    """
    try:
        obj = load_json(path)
    except ItfError as err:
        raise DiagramError(str(err)) from None
    return chart_dot(trace_chart(obj, rebuild(obj, specs or {})))


def rebuild(obj: Any, specs: Mapping[str, Specification[Any]]) -> Model[Any, Any] | None:
    """The model of the protocol an ITF trace names in `#meta` at its `params`, or None
    (no such protocol among `specs`, or parameters it refuses)."""
    meta = obj.get("#meta") if isinstance(obj, dict) else None
    protocol = meta.get("protocol") if isinstance(meta, dict) else None
    spec = specs.get(protocol) if isinstance(protocol, str) else None
    if spec is None or not isinstance(meta, dict):
        return None
    try:
        return spec.build(make_config(spec.config_type, meta_params(meta)))
    except (ItfError, SpecError):
        return None


# --- rendering -----------------------------------------------------------------------


def render_svg(dot_text: str, runner: Callable[..., Any] = subprocess.run) -> str:
    """The SVG that graphviz's `dot` renders from DOT text.

    Raises:
        DiagramError: `dot` is not installed or rejects the text.
    """
    if shutil.which("dot") is None:
        raise DiagramError("graphviz's dot is not installed (Debian: apt-get install graphviz)")
    done = runner(["dot", "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr or "").strip().splitlines()
        raise DiagramError(f"dot failed: {first[0] if first else 'exit ' + str(done.returncode)}")
    return str(done.stdout)


def write(dot_text: str, out: Path, svg: bool) -> list[Path]:
    """Write `out` (DOT) and, with `svg`, `out` with the suffix `.svg`; the paths written.

    Raises:
        DiagramError: the files cannot be written, or `dot` fails.
    """
    written = [out]
    rendered = render_svg(dot_text) if svg else None
    try:
        out.write_text(dot_text, encoding="utf-8")
        if rendered is not None:
            target = out.with_suffix(".svg")
            target.write_text(rendered, encoding="utf-8")
            written.append(target)
    except OSError as err:
        raise DiagramError(f"cannot write {out}: {err.strerror or err}") from None
    return written
