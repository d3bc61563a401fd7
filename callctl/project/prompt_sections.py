"""Prompts (`prompts:`), by reference: `[{name: ..., file: path relative to the document}]`.

Every file is read and checked as an upload when the document is read, before anything
changes. Prompts are stored first (`apply` runs in section order, before the menus that
play them) and deleted last (`retract` runs in reverse order, after the menus that stop
playing them). A prompt the section does not list is kept unless --prune.
Export writes no audio into a document printed to stdout: `project export -o FILE` adds
this section with the files in prompts/ beside FILE (see project/cli.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from ..domain.names import shown
from ..prompts import project as prompt_doc
from ..prompts.service import PromptError
from ..yamldoc import validation_lines
from .document import ProjectError, Reading


@dataclass
class Plan:
    changes: prompt_doc.PromptChanges
    kept: list[str]


class PromptsSection:
    keys = ("prompts",)

    def read(self, given: dict, r: Reading) -> list[prompt_doc.PromptEntry]:
        raw = given["prompts"]
        if not isinstance(raw, list):
            raise ProjectError(f"{r.at('prompts')}: must be a list of {{name, file}} (write "
                               f"[] for none), got {shown(raw, 40)}")
        entries, problems = [], []
        for i, item in enumerate(raw):
            try:
                entries.append(prompt_doc.PromptEntry.model_validate(item))
            except ValidationError as exc:
                problems += validation_lines(exc, r.doc, ("prompts", i))
        try:
            prompt_doc.load(entries, r.doc.source)
        except ValueError as exc:
            problems += [f"{r.doc.source}: {line}" for line in str(exc).splitlines()]
        if problems:
            raise ProjectError("\n".join(problems))
        return entries

    def export(self, services) -> dict:
        return {}  # audio needs files of its own: `project export -o FILE`

    def plan(self, services, wanted, prune: bool) -> Plan:
        changes = prompt_doc.PromptChanges(services.prompts, wanted, prune)
        return Plan(changes, [] if prune else changes.dropped())

    def lines(self, plan: Plan) -> list[str]:
        out = plan.changes.lines()
        if plan.kept:
            out.append("= prompts kept, not in the document (--prune deletes them): "
                       + ", ".join(plan.kept))
        return out

    def retract(self, services, plan: Plan) -> list:
        _refusing(plan.changes.prune)  # after whatever stopped playing them
        return []

    def apply(self, services, plan: Plan) -> list:
        _refusing(plan.changes.upsert)  # before whatever plays them
        return []

    def verify(self, services, plan: Plan) -> None:
        pass


def _refusing(step) -> None:
    try:
        step()
    except PromptError as exc:
        raise ProjectError(f"prompts: {exc}") from None


PROMPTS = PromptsSection()
