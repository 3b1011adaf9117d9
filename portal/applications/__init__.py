"""Applications: drafts, documents, deposit, versions, receipts, partners, requests for pieces, staff lists.

Other domains use: queries (get, for_member, for_manager, of_call, file_of, files_by_id), permissions
(can_view_application, can_manage_application, can_download; exclude_from_staff and read_deposited_by, through which
they add their own rules), completeness.slots and documents_asked, the states (states.py) and the models: Application (is_deposited,
ever_deposited), ApplicationFile, and Version, read through its typed accessors (files, file_ids, answers,
amount_requested, budget_totals), never through its snapshot. The thread (messages.py): unread_by_application(user,
ids) and unread_count(user) for the homes, unanswered_by_window(window_ids, user) for the staff's, and
shared_with_reviewers(application) for the committee; permissions.read_shared_messages_by adds who reads those."""
