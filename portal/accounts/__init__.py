"""People, organisations, memberships, roles and the organisations' document vault."""
