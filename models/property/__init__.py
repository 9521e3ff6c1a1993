"""Property management: owners, units, households, tenants and leases, transfers, move-ins and move-outs."""
