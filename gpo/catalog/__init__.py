"""Vendors' catalogs: products, their price history, search, and bulk imports."""
