"""WTForms forms of the selection side, one module per area (rounds, committee, reviewing, decisions)."""
