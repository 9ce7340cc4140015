"""The shared staffing pool: staff, shift requests, assignments, timesheets, cost runs."""
