"""docs/calls.md stays true to the schema: its example is valid and every field is documented."""

import re

from pydantic import BaseModel

from portal.catalog import loader
from portal.catalog.schema import CallSpec
from portal.config import ROOT

GUIDE = (ROOT / "docs" / "calls.md").read_text(encoding="utf-8")


def field_names(model: type[BaseModel], seen=None) -> set[str]:
    seen = seen if seen is not None else set()
    names = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for candidate in _models_in(info.annotation):
            if candidate not in seen:
                seen.add(candidate)
                names |= field_names(candidate, seen)
    return names


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def test_every_schema_field_is_documented():
    missing = sorted(name for name in field_names(CallSpec) if f"`{name}`" not in GUIDE)
    assert missing == []


def test_the_complete_example_is_a_valid_call(tmp_path):
    example = re.search(r"```markdown\n(.*?)```", GUIDE, re.S).group(1)
    path = tmp_path / "exemple-complet.md"
    path.write_text(example, encoding="utf-8")
    result = loader.load(path)
    assert result.errors == []
    spec = result.spec
    assert len(spec.windows) == 2 and spec.questions[-1].type == "table" and spec.declarations
