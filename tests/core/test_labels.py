"""A stored state reads its own French label: two enums that store the same English word (« reviewer » is who
declared a conflict and who attended a meeting) keep their own labels."""

from enum import StrEnum

import pytest

from portal.core.labels import Labelled, labelled
from portal.reviews.states import AttendanceRole, DeclaredBy


def test_states_storing_the_same_word_keep_their_own_labels():
    assert DeclaredBy.REVIEWER.label == "Déclaré par l'évaluateur"
    assert DeclaredBy.MANAGER.label == "Déclaré par le gestionnaire"
    assert AttendanceRole.REVIEWER.label == "Membre du comité d'évaluation"


def test_an_enum_without_a_label_for_each_state_is_refused_when_its_module_loads():
    class Colour(Labelled):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="blue"):
        labelled(Colour, {Colour.RED: "Rouge"})
    assert issubclass(Colour, StrEnum)
