"""Who is calling (principals: users with tokens, vendors with API keys) and what they
may do (gpo/auth/policy.py, the one place that decides)."""
