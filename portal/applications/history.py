"""The French names of an application's audit actions, as staff read its history: on the application's staff page
and in the follow-up's « dossier de contrôle » (followup.bundle_index)."""

from __future__ import annotations

ACTION_LABELS = {"application.start": "Dossier commencé", "application.file_add": "Pièce ajoutée",
                 "application.submit": "Dépôt", "application.withdraw": "Désistement",
                 "application.partner_invite": "Partenaire invité", "application.partner_accept": "Partenaire accepté",
                 "application.pieces_request": "Pièces demandées", "application.pieces_deposit": "Pièces transmises",
                 "application.registered": "Reçu par courrier ou courriel, enregistré par le service",
                 "application.message": "Message envoyé", "application.message_share": "Message partagé avec le comité"}
