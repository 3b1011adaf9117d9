"""Applications: drafts, documents, deposit, versions, receipts, partners, requests for pieces, staff lists.

Other domains use: queries (get, for_member, for_manager, of_call), permissions (can_view_application,
can_manage_application), completeness.slots and the models Application, ApplicationFile, Version."""
