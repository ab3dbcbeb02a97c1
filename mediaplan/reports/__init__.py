"""Coverage against the plan's targets, the monthly report (HTML, XLSX) and its e-mailing."""
