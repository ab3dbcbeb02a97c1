"""The editorial calendar: recurring columns, stories and their coverages, deliveries and iCal feeds."""
