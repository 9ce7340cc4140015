"""Purchasing cycles, practices' orders, the close that pools them into purchase
orders, and the vendor's side (acknowledgements and shipments)."""
