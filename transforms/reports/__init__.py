"""The run report and the pages a person reads: report.json and report.html, error and warning groups, the history page."""
