"""The editorial calendar: recurring columns, planned pieces, deliveries and iCal feeds."""
