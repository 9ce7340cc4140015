"""Vendor contracts: items, volume tiers and the negotiation between MSO procurement
and the vendor."""
