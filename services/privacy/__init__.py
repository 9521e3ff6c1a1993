"""Personal data: consent, customers' requests, the customer's copy, retention, the access log and its alerts."""
