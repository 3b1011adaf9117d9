"""Follow-up after award (issue 17): conventions, payments (« échéancier ») and reports on the call's indicators.
Above reviews in the dependency order: followup → reviews → applications → catalog, accounts → core."""
