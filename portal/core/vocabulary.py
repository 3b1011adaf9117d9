"""Words two domains share and must spell alike. The legal forms of an organisation are both what an organisation
declares (accounts) and what a call file lists as the carriers it accepts (catalog): one list, here, so that the
eligibility check compares like with like. Neither domain imports the other, both import this."""

from __future__ import annotations

from enum import StrEnum


class LegalForm(StrEnum):
    ASSOCIATION = "association"
    FONDATION = "fondation"
    BAILLEUR_SOCIAL = "bailleur_social"
    ORGANISME_AGREE = "organisme_agree"
    ETABLISSEMENT_PUBLIC = "etablissement_public"
    COLLECTIVITE = "collectivite"
    SERVICE_ETAT = "service_etat"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        """Short, as a call's list of accepted carriers and the catalogue's filter say it."""
        return LABELS[self]

    @property
    def legal_label(self) -> str:
        """In full, as an organisation chooses its own form."""
        return LEGAL_LABELS.get(self, LABELS[self])


LABELS = {
    LegalForm.ASSOCIATION: "Association loi 1901",
    LegalForm.FONDATION: "Fondation",
    LegalForm.BAILLEUR_SOCIAL: "Bailleur social",
    LegalForm.ORGANISME_AGREE: "Organisme agréé",
    LegalForm.ETABLISSEMENT_PUBLIC: "Établissement public",
    LegalForm.COLLECTIVITE: "Collectivité",
    LegalForm.SERVICE_ETAT: "Service de l'État",
    LegalForm.AUTRE: "Autre",
}

# Where the organisation's own form reads longer than the call's list.
LEGAL_LABELS = {
    LegalForm.ASSOCIATION: "Association loi 1901 (ou de droit local)",
    LegalForm.COLLECTIVITE: "Collectivité territoriale",
}
