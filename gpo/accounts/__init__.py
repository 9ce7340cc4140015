"""The MSO, member practices with their locations and providers, vendors and users."""
