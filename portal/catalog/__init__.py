"""Publication of calls: files in calls/ validated by schema.py, published as pages, feeds, API and open data.

Other domains use: queries.get_call, queries.search_calls, status.call_status, models.Call / models.Window."""
